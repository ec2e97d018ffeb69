"""The SOP's domain: the message contract (`contracts`), the steps, standards and escalation rules
(`rules`, plain functions), the control card (`controlcard`), the organisation chart (`orgchart`),
the SOP clock and the office calendar (`clock`, `office_calendar`), the classification of inquiries
that arrive without topic or service (`classify`), and what a pipeline handler works with
(`context`). Everything here is the office's business; nothing here talks to RabbitMQ."""

"""The SOP's domain: the message contract (`contracts`), the steps, standards and escalation rules
(`rules`, plain functions), a case's state (`cases`, the one writer of `inquiries`), the control
card (`controlcard`, the one writer of `handovers`), the organisation chart (`orgchart`) and its
staff units (`units`),
the SOP clock and the office calendar (`clock`, `office_calendar`), the classification of inquiries
that arrive without topic or service (`classify`), and what a pipeline handler works with
(`context`). Everything here is the office's business; nothing here talks to RabbitMQ."""

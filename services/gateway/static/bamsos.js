/* BAMSOS: kotak tanya untuk situs kantor. One <script src=".../widget/bamsos.js" defer> tag.
   Everything lives in a shadow root: the host page's CSS and the box's cannot touch each other,
   and the script defines no global name. Messages are shown as text, never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !document.documentElement.attachShadow) return;
  var api = new URL(script.src).origin + "/widget/";
  var title = script.getAttribute("data-judul") || "Tanya Disdukcapil";

  // The host page's rules may reach the host element (even with !important) and what inherits
  // from it: every style is set again on .box, inside the shadow root.
  var css =
    ":host{all:initial}" +
    ".box{all:initial;position:fixed;right:16px;bottom:16px;z-index:2147483000;display:block;" +
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;text-align:left}" +
    ".box *{box-sizing:border-box;font-family:inherit;font-size:inherit;line-height:inherit;letter-spacing:normal;text-transform:none}" +
    "button{cursor:pointer;border:0;border-radius:8px;background:#0b5394;color:#fff;padding:10px 16px;font-weight:600}" +
    "button:focus-visible,textarea:focus-visible,input:focus-visible,ol:focus-visible{outline:3px solid #f1a208;outline-offset:2px}" +
    "[hidden]{display:none!important}" +
    ".panel{width:min(380px,calc(100vw - 32px));background:#fff;border:1px solid #8a8a8a;border-radius:12px;" +
    "box-shadow:0 6px 24px rgba(0,0,0,.25);display:flex;flex-direction:column;height:min(640px,calc(100vh - 32px))}" +
    "header{display:flex;justify-content:space-between;align-items:center;padding:10px 12px;background:#0b5394;color:#fff;border-radius:12px 12px 0 0}" +
    "h2{margin:0;font-size:16px;font-weight:700}" +
    "header button{background:transparent;border:2px solid #fff;padding:4px 10px}" +
    "ol{list-style:none;margin:0;padding:12px;overflow-y:auto;flex:1;min-height:120px}" +
    "li{display:block;margin:0 0 10px;padding:8px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:88%;color:#1b1b1b}" +
    "li.citizen{background:#e8f0fb;margin-left:auto}" +
    "li.office{background:#f1f1f1}" +
    ".who{display:block;font-size:12px;font-weight:700;color:#3d3d3d}" +
    ".empty{color:#4a4a4a;font-style:italic}" +
    "form{border-top:1px solid #c8c8c8;padding:10px 12px;display:grid;gap:6px;margin:0}" +
    ".name{display:grid;gap:6px}" +
    "label{font-size:13px;font-weight:600}" +
    "input,textarea{width:100%;border:1px solid #6b6b6b;border-radius:6px;padding:6px 8px;color:#1b1b1b;background:#fff;margin:0}" +
    "textarea{resize:vertical;min-height:60px}" +
    ".hint,.status{font-size:12px;color:#3d3d3d;margin:0}" +
    ".status.error{color:#a30000;font-weight:600}" +
    ".hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}";

  var host = document.createElement("div");
  host.setAttribute("data-bamsos", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" + css + "</style>" +
    '<div class="box">' +
    '<button type="button" class="open" aria-expanded="false" aria-controls="bamsos-panel"></button>' +
    '<section class="panel" id="bamsos-panel" hidden aria-labelledby="bamsos-title">' +
    '<header><h2 id="bamsos-title"></h2><button type="button" class="close">Tutup</button></header>' +
    '<ol role="log" aria-live="polite" aria-label="Percakapan" tabindex="0">' +
    '<li class="empty">Tulis pertanyaan Anda. Petugas akan menjawab di kotak ini.</li></ol>' +
    "<form novalidate>" +
    '<div class="name"><label for="bamsos-name">Nama (boleh dikosongkan)</label>' +
    '<input id="bamsos-name" name="name" autocomplete="name" maxlength="200"></div>' +
    '<label for="bamsos-text">Pertanyaan Anda</label>' +
    '<textarea id="bamsos-text" name="text" maxlength="4000" required aria-describedby="bamsos-hint"></textarea>' +
    '<p class="hint" id="bamsos-hint">Enter untuk mengirim, Shift+Enter untuk baris baru. ' +
    "Jangan menulis NIK atau nomor KK di sini.</p>" +
    '<div class="hp" aria-hidden="true"><label>Situs web <input name="website" tabindex="-1" autocomplete="off"></label></div>' +
    '<button type="submit">Kirim</button>' +
    '<p class="status" role="status"></p>' +
    "</form></section></div>";

  var opener = root.querySelector(".open");
  var panel = root.querySelector(".panel");
  var log = root.querySelector("ol");
  var form = root.querySelector("form");
  var text = root.getElementById("bamsos-text");
  var name = root.getElementById("bamsos-name");
  var nameField = root.querySelector(".name");
  var honey = form.elements.namedItem("website");
  var status = root.querySelector(".status");
  var sendButton = form.querySelector('button[type="submit"]');
  opener.textContent = title;
  root.getElementById("bamsos-title").textContent = title;

  var shown = {};
  var stream = null;
  // The signed visitor id from the gateway's answer: used where the browser refuses its cookie
  // (kept for this page only).
  var visitor = null;

  function say(message, isError) {
    status.textContent = message;
    status.className = isError ? "status error" : "status";
  }

  function add(id, message) {
    if (shown[id]) return;
    shown[id] = true;
    var empty = log.querySelector(".empty");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.className = message.from === "citizen" ? "citizen" : "office";
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.from === "citizen" ? "Anda:" : "Petugas:";
    item.appendChild(who);
    item.appendChild(document.createTextNode(message.text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function listen() {
    if (stream) return;
    var url = api + "stream" + (visitor ? "?visitor=" + encodeURIComponent(visitor) : "");
    stream = new EventSource(url, { withCredentials: true });
    stream.addEventListener("pesan", function (event) {
      try {
        add(event.lastEventId, JSON.parse(event.data));
      } catch (e) {
        /* a line the box can't read is skipped */
      }
    });
  }

  function toggle(open) {
    panel.hidden = !open;
    opener.hidden = open;
    opener.setAttribute("aria-expanded", String(open));
    if (open) {
      listen();
      text.focus();
    } else {
      opener.focus();
    }
  }

  opener.addEventListener("click", function () { toggle(true); });
  root.querySelector(".close").addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") toggle(false);
  });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function sent(answer) {
    if (answer.visitor && answer.visitor !== visitor) {
      visitor = answer.visitor;
      if (stream && stream.readyState === EventSource.CLOSED) stream = null;
    }
    text.value = "";
    // The name goes with the first question of the conversation; then the room is the log's.
    name.value = "";
    nameField.hidden = true;
    say("Terkirim. Jawaban akan muncul di sini.", false);
    listen();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = text.value.trim();
    if (!question) {
      say("Tulis pertanyaan Anda dulu.", true);
      text.focus();
      return;
    }
    sendButton.disabled = true;
    say("Mengirim…", false);
    fetch(api + "messages", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        text: question,
        name: name.value.trim() || null,
        website: honey.value,
        visitor: visitor,
      }),
    })
      .then(function (response) {
        if (response.ok) return response.json().then(sent);
        if (response.status === 429) say("Terlalu banyak pesan. Coba lagi dalam satu menit.", true);
        else if (response.status === 413) say("Pesan terlalu panjang (paling banyak 4000 karakter).", true);
        else say("Pesan belum terkirim. Coba lagi sebentar lagi.", true);
      })
      .catch(function () {
        say("Tidak tersambung. Periksa internet Anda, lalu coba lagi.", true);
      })
      .then(function () {
        sendButton.disabled = false;
        text.focus();
      });
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

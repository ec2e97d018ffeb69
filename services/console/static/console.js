/* BAMSOS konsol petugas: the answer-template picker and the answer suggestions. Without JavaScript the picker's button sends
   the page's GET form and the server puts the template in the text box; with it, the template is
   put there at once (asking first if the officer has already written something else). */
(function () {
  "use strict";

  function templates() {
    var data = document.getElementById("templat-data");
    if (!data) return [];
    try { return JSON.parse(data.textContent || "[]"); } catch (e) { return []; }
  }

  function chosen() {
    var select = document.getElementById("templat");
    if (!select) return null;
    return templates()[Number(select.value)] || null;
  }

  document.addEventListener("change", function (event) {
    if (!event.target || event.target.id !== "templat") return;
    var basis = document.getElementById("templat-dasar");
    var item = chosen();
    if (basis && item) basis.textContent = "Dasar: " + item.dasar;
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-sisipkan]") : null;
    if (!button) return;
    var area = document.getElementById("teks");
    var item = chosen();
    if (!area || !item) return;
    event.preventDefault();
    var written = area.value.trim();
    if (written && written !== item.teks.trim() &&
        !window.confirm("Ganti teks yang sudah ditulis dengan templat \"" + item.judul + "\"?")) {
      return;
    }
    area.value = item.teks;
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });

  // "Saran jawaban": one click puts the suggestion into the answer box (nothing is sent), and the
  // hidden fields say which one it was, for the count of suggestions used.
  function suggestions() {
    var data = document.getElementById("saran-data");
    if (!data) return [];
    try { return JSON.parse(data.textContent || "[]"); } catch (e) { return []; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-saran]") : null;
    if (!button) return;
    var area = document.getElementById("teks");
    var item = suggestions()[Number(button.getAttribute("data-saran"))];
    if (!area || !item) return;
    event.preventDefault();
    var written = area.value.trim();
    if (written && written !== item.teks.trim() &&
        !window.confirm("Ganti teks yang sudah ditulis dengan saran \"" + item.judul + "\"?")) {
      return;
    }
    area.value = item.teks;
    document.getElementById("saran-kunci").value = item.kunci;
    document.getElementById("saran-sumber").value = item.sumber;
    document.getElementById("saran-teks").value = item.teks;
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  });
})();

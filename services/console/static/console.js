/* BAMSOS konsol petugas: the answer-template picker. Without JavaScript the picker's button sends
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
})();

// The verify page's enhancements (the page works without them): a drop zone that fills the file input, the
// chosen file's name announced, and a Print button on the result. No inline handlers (the CSP forbids them).
(function () {
  "use strict";

  function setUpDropZone() {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("file");
    var status = document.getElementById("file-status");
    if (!zone || !input || !status) {
      return;
    }
    var label = status.getAttribute("data-chosen") || "";
    function announce() {
      var file = input.files && input.files[0];
      status.textContent = file ? label + " " + file.name : "";
    }
    zone.classList.add("droppable");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) {
        return;
      }
      input.files = files;  // the form then posts the dropped file like a chosen one
      announce();
      var button = document.querySelector("#way-file button[type=submit]");
      if (button) {
        button.focus();
      }
    });
    input.addEventListener("change", announce);
  }

  function setUpPrint() {
    var button = document.getElementById("print-result");
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }

  setUpDropZone();
  setUpPrint();
}());

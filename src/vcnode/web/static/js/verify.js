// The verify page's enhancements; the page works without them (the form posts and the node answers with the
// result page). With them: the form is sent with fetch() and the result replaces the form in place (no new
// page to load: the verdict shows sooner), focus moves to the verdict; a drop zone fills the file input; the
// result gets a Print button. No inline handlers and no HTML built from strings: the CSP forbids the first,
// and the result's HTML is the node's own (escaped) page, parsed inertly by DOMParser.
(function () {
  "use strict";

  function setUpDropZone() {
    var zone = document.getElementById("drop-zone");
    var input = document.getElementById("file");
    var status = document.getElementById("file-status");
    if (!zone || !input || !status || zone.classList.contains("droppable")) {
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
    if (!button || !button.hidden) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }

  function focusOn(element) {
    if (element) {
      element.setAttribute("tabindex", "-1");
      element.focus();
    }
  }

  // Put the answer's <main> in place of this one; false when the answer is not one of this node's pages.
  function show(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var main = answer.getElementById("main");
    var current = document.getElementById("main");
    if (!main || !current) {
      return false;
    }
    document.title = answer.title;
    document.body.className = answer.body.className;
    current.replaceWith(document.adoptNode(main));
    setUp();
    focusOn(document.querySelector("#verdict h2") || document.getElementById("verify-error"));
    return true;
  }

  function setUpForm() {
    var form = document.getElementById("verify-form");
    if (!form || form.getAttribute("data-enhanced") || !window.fetch || !window.DOMParser || !window.FormData) {
      return;
    }
    form.setAttribute("data-enhanced", "true");
    form.addEventListener("submit", function (event) {
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) {
        data.set(event.submitter.name, event.submitter.value);
      }
      event.preventDefault();
      form.setAttribute("aria-busy", "true");
      fetch(form.action, {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          if (show(html)) {
            history.pushState({verifyResult: true}, "", window.location.href);
          } else {
            form.submit();  // not a page of this node (a proxy's error?): let the browser show it
          }
        })
        .catch(function () {
          form.removeAttribute("aria-busy");
          form.submit();
        });
    });
  }

  function setUp() {
    setUpDropZone();
    setUpPrint();
    setUpForm();
  }

  window.addEventListener("popstate", function () {
    window.location.reload();  // back from a result shown in place: the form again
  });
  setUp();
}());

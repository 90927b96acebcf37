// The verify page's QR scanner ("Scan a QR code"). Camera frames are drawn on a canvas and decoded with the
// vendored jsQR (Linux Chromium has no BarcodeDetector); jsQR is loaded only when the visitor starts scanning.
// A decoded http(s) address goes to the page's URL way, decoded JSON to its paste way, and that form is
// submitted; anything else gets a message. The camera is stopped as soon as a code is read, on "Stop the
// camera", after SCAN_SECONDS without a code, and when the page is left. The button is shown only when the
// browser can use a camera (a secure context with a video input). No inline script: the page's
// Content-Security-Policy allows only this node's files. Messages come translated in the page's data-msg-*
// attributes.
(function () {
  'use strict';

  var SCAN_SECONDS = 60;
  var FRAME_MS = 120;
  var MAX_WIDTH = 640;

  // Set up the scanner in the page's #scan box, once per box: the verify page's own script may replace the
  // page's <main> with a new one (a form shown again with a message) whose scripts do not run, so a new box
  // is set up when it appears.
  function setUp() {
    var root = document.getElementById('scan');
    if (!root || root.getAttribute('data-ready') === 'true') {
      return;
    }
    root.setAttribute('data-ready', 'true');
    var startButton = document.getElementById('scan-start');
    var stopButton = document.getElementById('scan-stop');
    var view = document.getElementById('scan-view');
    var canvas = document.getElementById('scan-canvas');
    var statusBox = document.getElementById('scan-status');
    var alertBox = document.getElementById('scan-error');
    var alertText = document.getElementById('scan-error-text');
    var hint = document.getElementById('scan-hint');
    var context = canvas.getContext('2d', {willReadFrequently: true});
    var stream = null;
    var video = null;
    var timer = null;
    var deadline = 0;

    function message(name) {
      return root.getAttribute('data-msg-' + name) || '';
    }

    function say(text) {
      alertText.textContent = '';
      alertBox.hidden = true;
      statusBox.textContent = text;
    }

    function fail(text) {
      statusBox.textContent = '';
      alertText.textContent = text;
      alertBox.hidden = false;
    }

    function find(attribute) {
      var selector = root.getAttribute(attribute);
      return selector ? document.querySelector(selector) : null;
    }

    function loadDecoder() {
      if (typeof window.jsQR === 'function') {
        return Promise.resolve();
      }
      return new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = root.getAttribute('data-decoder');
        script.onload = function () {
          if (typeof window.jsQR === 'function') {
            resolve();
          } else {
            reject(new Error('decoder'));
          }
        };
        script.onerror = function () { reject(new Error('decoder')); };
        document.head.appendChild(script);
      });
    }

    function stopCamera() {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      if (stream !== null) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        stream = null;
      }
      if (video !== null) {
        video.pause();
        video.srcObject = null;
        video = null;
      }
      var wasOpen = !view.hidden;
      view.hidden = true;
      startButton.hidden = false;
      if (wasOpen) {
        startButton.focus();
      }
    }

    // Put the decoded value where the verify page takes it ("url" or "json"), and send that form with that
    // way's own button (so the page verifies this way, whatever else was typed in the form).
    function submitTo(way, value) {
      var input = find('data-' + way + '-input');
      var button = find('data-' + way + '-submit');
      if (input === null || input.form === null) {
        fail(message('unusable'));
        return;
      }
      input.value = value;
      input.dispatchEvent(new Event('input', {bubbles: true}));
      say(message('found'));
      var own = button !== null && button.form === input.form;
      if (own) {
        button.click(); // submits with this way's button, after the form's own checks
      } else if (typeof input.form.requestSubmit === 'function') {
        input.form.requestSubmit();
      } else {
        input.form.submit();
      }
    }

    function handle(text) {
      var value = text.trim();
      if (/^https:\/\/lcw\.app\//i.test(value) || /^(interaction|openid4vp|openid-credential-offer):/i.test(value)) {
        fail(message('wallet-link'));
        return;
      }
      if (/^https?:\/\/[^\s]+$/i.test(value)) {
        submitTo('url', value);
        return;
      }
      if (value.charAt(0) === '{' || value.charAt(0) === '[') {
        var parsed = null;
        try {
          parsed = JSON.parse(value);
        } catch (error) {
          parsed = null;
        }
        if (parsed !== null && typeof parsed === 'object') {
          submitTo('json', JSON.stringify(parsed, null, 2));
          return;
        }
      }
      fail(message('unknown'));
    }

    function tick() {
      timer = null;
      if (stream === null || video === null) {
        return;
      }
      if (!root.isConnected) { // the page's <main> was replaced (another way was used): stop looking
        stopCamera();
        return;
      }
      if (Date.now() > deadline) {
        stopCamera();
        fail(message('timeout'));
        return;
      }
      if (video.readyState >= 2 && video.videoWidth > 0) {
        var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
        var width = Math.round(video.videoWidth * scale);
        var height = Math.round(video.videoHeight * scale);
        if (canvas.width !== width || canvas.height !== height) {
          canvas.width = width;
          canvas.height = height;
        }
        context.drawImage(video, 0, 0, width, height);
        var image = context.getImageData(0, 0, width, height);
        var code = window.jsQR(image.data, width, height, {inversionAttempts: 'attemptBoth'});
        if (code && code.data) {
          stopCamera();
          handle(code.data);
          return;
        }
      }
      timer = setTimeout(tick, FRAME_MS);
    }

    function start() {
      say(message('starting'));
      loadDecoder().then(function () {
        return navigator.mediaDevices.getUserMedia({video: {facingMode: {ideal: 'environment'}}, audio: false});
      }).then(function (opened) {
        stream = opened;
        video = document.createElement('video');
        video.muted = true;
        video.setAttribute('playsinline', '');
        video.srcObject = opened;
        return video.play();
      }).then(function () {
        view.hidden = false;
        startButton.hidden = true;
        deadline = Date.now() + SCAN_SECONDS * 1000;
        say(message('scanning'));
        stopButton.focus();
        tick();
      }).catch(function (error) {
        stopCamera();
        var name = error && error.name;
        if (name === 'NotAllowedError' || name === 'SecurityError') {
          fail(message('denied'));
        } else if (name === 'NotFoundError' || name === 'OverconstrainedError') {
          fail(message('no-camera'));
        } else if (error && error.message === 'decoder') {
          fail(message('no-decoder'));
        } else {
          fail(message('camera-error'));
        }
      });
    }

    startButton.addEventListener('click', start);
    stopButton.addEventListener('click', function () {
      stopCamera();
      say(message('stopped'));
    });
    window.addEventListener('pagehide', stopCamera);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden' && stream !== null) {
        stopCamera();
        say(message('stopped'));
      }
    });

    // Offer scanning only where it can work: camera access (a secure context) and at least one camera.
    var media = navigator.mediaDevices;
    if (media && typeof media.getUserMedia === 'function' && typeof media.enumerateDevices === 'function') {
      media.enumerateDevices().then(function (devices) {
        if (devices.some(function (device) { return device.kind === 'videoinput'; })) {
          startButton.hidden = false;
          hint.hidden = false;
        }
      }).catch(function () { /* no camera: the button stays hidden */ });
    }
  }

  setUp();
  new MutationObserver(setUp).observe(document.body, {childList: true});
}());

// vcnode: starts Swagger UI on the node's own OpenAPI document (GET /openapi.yaml).
// A file of ours rather than an inline script, so the page's Content-Security-Policy can forbid inline scripts.
"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    // Relative to the page (/docs), so a node behind a path-prefixing proxy still finds its own document.
    url: new URL("openapi.yaml", document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The default would send the document to validator.swagger.io; the page talks to this node only.
    validatorUrl: null,
    // Never load another document named in the page's query string (?url=…).
    queryConfigEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});

// CloudFront Function (viewer request) of the SPA's default behaviour: a path whose last segment
// has no dot is a route of the single-page app (/dashboard, /jobs/abc), so it gets index.html;
// files (/assets/index-3f2a.js, /favicon.svg) are fetched as they are. The API paths (/v1/*,
// /.well-known/*) have their own behaviours and never reach this function. Same rule as the
// gateway's own SPA routes (gateway/render.py).
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (last.indexOf(".") === -1) {
    request.uri = "/index.html";
  }
  return request;
}

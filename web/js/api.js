// The lab's JSON API (docs/lab.md), as the page uses it. The token comes
// from the address the lab printed (?token=...); every call sends it as a
// Bearer header, except EventSource, which cannot send headers (?token=).
"use strict";

const Api = (() => {
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  let client = sessionStorage.getItem("handgrad-client");
  if (!client) {
    client = "tab-" + Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("handgrad-client", client);
  }

  async function call(method, path, body) {
    const opts = { method, headers: { "Authorization": "Bearer " + token, "X-Lab-Client": client } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = { error: text }; }
    if (!res.ok) {
      const err = new Error((json && json.error) || res.statusText);
      err.status = res.status;
      err.field = json && json.field;
      throw err;
    }
    return json;
  }

  const withToken = (path) => path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);

  return {
    token,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body === undefined ? {} : body),
    del: (path) => call("DELETE", path),
    url: withToken,
    // Live events of a run; onEvent gets each parsed event.
    events(id, onEvent) {
      const es = new EventSource(withToken("/api/runs/" + id + "/events"));
      es.onmessage = (m) => onEvent(JSON.parse(m.data));
      return es;
    },
    // Deletes a run when the tab goes away (a beacon cannot send headers).
    forget(id) {
      if (id) navigator.sendBeacon(withToken("/api/runs/" + id + "/delete"), "");
    },
  };
})();

function setStatus(text, isError) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.style.color = isError ? "#ffb4b4" : "";
}

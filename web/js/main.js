// Tabs, and starting both halves once the server's layer list is in.
"use strict";

(async () => {
  const show = (tab) => {
    for (const b of document.querySelectorAll("nav .tab")) b.classList.toggle("active", b.dataset.tab === tab);
    document.getElementById("page-play").hidden = tab !== "play";
    document.getElementById("page-mnist").hidden = tab !== "mnist";
    if (tab === "mnist") Mnist.refreshModels().catch(() => {});
    if (tab === "play") Playground.toHash();
    else history.replaceState(null, "", location.pathname + location.search + "#tab=mnist");
  };
  for (const b of document.querySelectorAll("nav .tab")) b.onclick = () => show(b.dataset.tab);
  if (!Api.token) { setStatus("open the address `handgrad lab` printed (it carries the token)", true); return; }
  try {
    const layers = await Api.get("/api/layers");
    const tab = new URLSearchParams(location.hash.slice(1)).get("tab") === "mnist" ? "mnist" : "play";
    document.getElementById("page-play").hidden = tab !== "play";
    document.getElementById("page-mnist").hidden = tab !== "mnist";
    for (const b of document.querySelectorAll("nav .tab")) b.classList.toggle("active", b.dataset.tab === tab);
    await Mnist.init();
    if (tab === "play") await Playground.init(layers);
    else { Playground.init(layers); }
    window.labReady = true;
  } catch (e) {
    setStatus(e.message, true);
  }
})();

/* Usher web chat widget: <script src="https://usher.example/chat/widget.js" async></script>
 *
 * No framework, no dependencies. Everything lives in a Shadow DOM (the page's styles do not
 * reach in, ours do not leak out). Every text from the fan or the server is inserted as a
 * text node (textContent), never as HTML; QR codes are drawn as SVG built element by element
 * from path data. The session token is kept in localStorage (third-party cookies are blocked
 * on most browsers); the conversation itself is kept by the server for a day and sent again
 * after a reload. Frames are described in adapters/webchat/frames.py.
 */
(function () {
  "use strict";
  if (window.__usherChat) { return; }
  window.__usherChat = true;

  var STRINGS = /*STRINGS*/null;
  var SVG = "http://www.w3.org/2000/svg";
  var TOKEN_KEY = "usher-chat:session";
  var OPEN_KEY = "usher-chat:open";
  var MAX_TEXT = 4000;
  var script = document.currentScript;
  var server = new URL((script && script.getAttribute("data-usher")) ||
    (script && script.src) || "/chat/widget.js", location.href).origin;
  var wsUrl = server.replace(/^http/, "ws") + "/chat/ws";
  var T = STRINGS[pickLanguage()] || STRINGS.en;

  function pickLanguage() {
    var langs = navigator.languages && navigator.languages.length ?
      navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < langs.length; i++) {
      var base = String(langs[i]).toLowerCase().split(/[-_]/)[0];
      if (STRINGS[base]) { return base; }
    }
    return "en";
  }

  function stored(area, key, value) {
    try {
      var storage = window[area];
      if (value === undefined) { return storage.getItem(key); }
      if (value === null) { storage.removeItem(key); } else { storage.setItem(key, value); }
    } catch (e) { /* storage blocked: the session lasts as long as the page */ }
    return null;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, name)) { node.setAttribute(name, attrs[name]); }
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    ".root{font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "padding:14px 20px;background:#1a56db;color:#fff;font:inherit;font-weight:600;cursor:pointer;",
    "box-shadow:0 4px 16px rgba(0,0,0,.25)}",
    ".launcher.unread::after{content:'';position:absolute;top:4px;right:4px;width:12px;height:12px;",
    "border-radius:6px;background:#e02424;border:2px solid #fff}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:380px;height:560px;",
    "max-height:calc(100vh - 104px);display:flex;flex-direction:column;background:#fff;",
    "border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.3);overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#1a56db;color:#fff}",
    "header h2{flex:1;margin:0;font-size:16px}",
    "header button{border:1px solid rgba(255,255,255,.6);background:transparent;color:#fff;",
    "border-radius:6px;padding:4px 8px;font:inherit;font-size:13px;cursor:pointer}",
    ".status{margin:0;padding:4px 12px;background:#fdf6b2;font-size:13px}",
    ".status:empty{display:none}",
    "ol{flex:1;margin:0;padding:12px;list-style:none;overflow-y:auto;background:#f4f5f7}",
    "li{margin:0 0 10px;max-width:88%;padding:8px 10px;border-radius:10px;word-wrap:break-word}",
    "li.bot{background:#fff;border:1px solid #dfe1e6}",
    "li.fan{margin-left:auto;background:#1a56db;color:#fff}",
    "li.fan.pending{opacity:.7}",
    "li.fan.failed{background:#9b1c1c}",
    "li.note{max-width:100%;background:transparent;color:#4b5563;font-size:13px;text-align:center}",
    "p{margin:0;white-space:pre-wrap}",
    "figure{margin:8px 0 0}",
    "svg{display:block;width:220px;max-width:100%;height:auto;background:#fff}",
    "figcaption{font-size:13px;color:#4b5563;white-space:pre-wrap}",
    "a{display:inline-block;margin-top:6px;color:#1a56db;font-weight:600}",
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}",
    ".choices button{border:1px solid #1a56db;background:#fff;color:#1a56db;border-radius:16px;",
    "padding:5px 12px;font:inherit;font-size:14px;cursor:pointer}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #dfe1e6;background:#fff}",
    "textarea{flex:1;resize:none;height:42px;padding:10px;border:1px solid #9ca3af;",
    "border-radius:8px;font:inherit}",
    "form button{border:0;border-radius:8px;padding:0 16px;background:#1a56db;color:#fff;",
    "font:inherit;font-weight:600;cursor:pointer}",
    ":focus-visible{outline:3px solid #f59e0b;outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;",
    "clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    "@media (max-width:540px){.panel{inset:0;width:auto;height:auto;max-height:none;",
    "border-radius:0}.root.open .launcher{display:none}}"
  ].join("");

  /* --- the DOM ------------------------------------------------------------------------ */

  var host = el("div", { id: "usher-chat" });
  var shadow = host.attachShadow({ mode: "open" });
  if (window.CSSStyleSheet && "adoptedStyleSheets" in shadow) {
    var sheet = new CSSStyleSheet();   /* allowed under a page's strict style-src */
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(el("style", {}, CSS));
  }
  var root = el("div", { "class": "root", lang: T === STRINGS.es ? "es" : "en" });
  var launcher = el("button", {
    type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "usher-panel"
  }, T.widget_launcher);
  var panel = el("section", { id: "usher-panel", "class": "panel", role: "dialog",
    "aria-modal": "false", "aria-labelledby": "usher-title", hidden: "" });
  var header = el("header");
  var title = el("h2", { id: "usher-title" }, T.widget_title);
  var signOutButton = el("button", { type: "button", "class": "sign-out" }, T.widget_sign_out);
  var closeButton = el("button", { type: "button", "class": "close", "aria-label": T.widget_close }, "✕");
  header.appendChild(title);
  header.appendChild(signOutButton);
  header.appendChild(closeButton);
  var status = el("p", { "class": "status", role: "status" });
  var list = el("ol", { "class": "log", "aria-label": T.widget_title, tabindex: "0" });
  var live = el("div", { "class": "sr live", "aria-live": "polite", "aria-atomic": "false" });
  var form = el("form");
  var label = el("label", { "for": "usher-input", "class": "sr" }, T.widget_input_label);
  var input = el("textarea", { id: "usher-input", rows: "1", maxlength: String(MAX_TEXT),
    placeholder: T.widget_placeholder, autocomplete: "off" });
  var sendButton = el("button", { type: "submit" }, T.widget_send);
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(list);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);
  root.appendChild(live);
  shadow.appendChild(root);

  /* --- the conversation ---------------------------------------------------------------- */

  var socket = null;
  var connected = false;
  var attempt = 0;
  var retryTimer = null;
  var cursor = null;          /* id of the last logged message shown */
  var pending = [];           /* messages sent but not yet seen logged: {ref, frame, item} */
  var refCounter = 0;
  var leaving = null;         /* a token signed out while offline: the server is told later */
  var signedOut = false;      /* the server closed the socket after a sign out: stay closed */

  function newRef() {
    refCounter += 1;
    var random = Math.random().toString(36).slice(2, 10);
    return Date.now().toString(36) + "-" + refCounter.toString(36) + "-" + random;
  }

  function newer(id, than) {
    if (than === null) { return true; }
    var a = id.split("-"), b = than.split("-");
    for (var i = 0; i < 2; i++) {
      if (a[i].length !== b[i].length) { return a[i].length > b[i].length; }
      if (a[i] !== b[i]) { return a[i] > b[i]; }
    }
    return false;
  }

  function scrollDown() { list.scrollTop = list.scrollHeight; }

  function announce(text) {
    var line = el("p", {}, text);
    live.appendChild(line);
    while (live.childNodes.length > 5) { live.removeChild(live.firstChild); }
  }

  function note(text) {
    list.appendChild(el("li", { "class": "note" }, text));
    scrollDown();
    announce(text);
  }

  function fanItem(text) {
    var item = el("li", { "class": "msg fan" });
    item.appendChild(el("span", { "class": "sr" }, T.widget_you + ": "));
    item.appendChild(el("p", {}, text));
    list.appendChild(item);
    scrollDown();
    return item;
  }

  function qrFigure(image) {
    var figure = el("figure", { "class": "qr" });
    var shape = image.svg || {};
    var size = Number(shape.size);
    var path = String(shape.path || "");
    if (!(size > 0 && size < 400) || !/^[Mhvz0-9 -]*$/.test(path)) { return null; }
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + size + " " + size);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", String(image.alt || ""));
    svg.setAttribute("shape-rendering", "crispEdges");
    var paper = document.createElementNS(SVG, "rect");
    paper.setAttribute("width", String(size));
    paper.setAttribute("height", String(size));
    paper.setAttribute("fill", "#fff");
    var ink = document.createElementNS(SVG, "path");
    ink.setAttribute("d", path);
    ink.setAttribute("fill", "#000");
    svg.appendChild(paper);
    svg.appendChild(ink);
    figure.appendChild(svg);
    figure.appendChild(el("figcaption", {}, image.alt));
    return figure;
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(String(url), location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  function botItem(reply) {
    var item = el("li", { "class": "msg bot" });
    item.appendChild(el("span", { "class": "sr" }, T.widget_bot + ": "));
    var spoken = [];
    if (reply.text) {
      item.appendChild(el("p", {}, reply.text));
      spoken.push(reply.text);
    }
    (reply.images || []).forEach(function (image) {
      var figure = qrFigure(image);
      if (figure) { item.appendChild(figure); spoken.push(String(image.alt || "")); }
    });
    (reply.links || []).forEach(function (link) {
      var href = safeUrl(link.url);
      if (!href) { return; }
      var anchor = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, link.label);
      anchor.appendChild(el("span", { "class": "sr" }, " " + T.widget_new_tab));
      item.appendChild(el("div", {})).appendChild(anchor);
    });
    if (reply.buttons && reply.buttons.length) {
      var choices = el("div", { "class": "choices", role: "group" });
      reply.buttons.forEach(function (button) {
        var choice = el("button", { type: "button" }, button.label);
        choice.addEventListener("click", function () {
          say({ type: "button", payload: String(button.payload), label: String(button.label) },
            String(button.label));
          input.focus();
        });
        choices.appendChild(choice);
      });
      item.appendChild(choices);
    }
    list.appendChild(item);
    return spoken.join(". ");
  }

  function showEntry(message) {
    if (typeof message.id !== "string" || !newer(message.id, cursor)) { return; }
    cursor = message.id;
    if (message.from === "fan") {
      for (var i = 0; i < pending.length; i++) {
        if (pending[i].ref === message.ref) {
          pending[i].item.classList.remove("pending");
          pending.splice(i, 1);
          return;
        }
      }
      fanItem(message.text);
      return;
    }
    var spoken = (message.replies || []).map(botItem);
    scrollDown();
    if (!message.replay) {
      spoken.forEach(announce);
      if (panel.hidden) {
        launcher.classList.add("unread");
        launcher.textContent = T.widget_launcher_unread;
      }
    }
  }

  function say(frame, shown) {
    frame.ref = newRef();
    var item = fanItem(shown);
    item.classList.add("pending");
    pending.push({ ref: frame.ref, frame: frame, item: item });
    if (connected) { transmit(frame); } else { connect(); }
  }

  function transmit(frame) {
    try { socket.send(JSON.stringify(frame)); } catch (e) { /* resent once connected */ }
  }

  function forgetConversation() {
    stored("localStorage", TOKEN_KEY, null);
    cursor = null;
    pending = [];
    while (list.firstChild) { list.removeChild(list.firstChild); }
    greet();
  }

  function greet() { list.appendChild(el("li", { "class": "msg bot greeting" }, T.widget_greeting)); }

  function onFrame(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || typeof message !== "object") { return; }
    if (message.type === "session") {
      if (message.fresh && stored("localStorage", TOKEN_KEY) && cursor !== null) {
        var unsent = pending;
        forgetConversation();   /* the old session expired: its messages are gone */
        unsent.forEach(function (p) { list.appendChild(p.item); pending.push(p); });
      }
      connected = true;
      attempt = 0;
      status.textContent = "";
      if (leaving) {            /* the sign out the fan asked for while offline */
        leaving = null;
        transmit({ type: "signout" });
        return;
      }
      stored("localStorage", TOKEN_KEY, String(message.session));
      pending.forEach(function (p) { transmit(p.frame); });
    } else if (message.type === "message") {
      showEntry(message);
    } else if (message.type === "notice") {
      for (var i = 0; i < pending.length; i++) {
        if (pending[i].ref === message.ref) {
          pending[i].item.classList.remove("pending");
          pending[i].item.classList.add("failed");
          pending.splice(i, 1);
          break;
        }
      }
      note(String(message.text || ""));
    } else if (message.type === "signed_out") {
      var typedSince = pending;   /* written after an offline sign out: for a new session */
      signedOut = true;
      connected = false;
      forgetConversation();
      if (!(list.lastChild && list.lastChild.textContent === T.widget_sign_out_done)) {
        note(T.widget_sign_out_done);
      }
      typedSince.forEach(function (p) { list.appendChild(p.item); pending.push(p); });
      if (pending.length) { signedOut = false; socket = null; connect(); }
    }
  }

  function connect() {
    if (socket && (socket.readyState === 0 || socket.readyState === 1)) { return; }
    clearTimeout(retryTimer);
    retryTimer = null;
    signedOut = false;
    if (!connected && attempt === 0) { status.textContent = T.widget_connecting; }
    var ws;
    try { ws = new WebSocket(wsUrl); } catch (e) { retry(); return; }
    socket = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({
        type: "hello", session: leaving || stored("localStorage", TOKEN_KEY), last: cursor,
        locale: navigator.language || null
      }));
    };
    ws.onmessage = onFrame;
    ws.onclose = function () {
      if (socket !== ws) { return; }
      socket = null;
      connected = false;
      if (signedOut) { status.textContent = ""; return; }
      if (leaving || stored("localStorage", TOKEN_KEY) || pending.length || !panel.hidden) {
        retry();
      }
    };
  }

  function retry() {
    status.textContent = T.widget_reconnecting;
    var delay = Math.min(30000, 500 * Math.pow(2, attempt));
    attempt += 1;
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }

  /* --- opening, closing, typing --------------------------------------------------------- */

  function open() {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.classList.remove("unread");
    launcher.textContent = T.widget_launcher;
    stored("sessionStorage", OPEN_KEY, "1");
    connect();
    scrollDown();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    stored("sessionStorage", OPEN_KEY, null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  signOutButton.addEventListener("click", function () {
    if (connected) {
      transmit({ type: "signout" });
    } else {
      leaving = stored("localStorage", TOKEN_KEY);   /* told once the server answers again */
      forgetConversation();
      note(T.widget_sign_out_done);
      if (leaving) { connect(); }
    }
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    say({ type: "text", text: text.slice(0, MAX_TEXT) }, text);
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  window.addEventListener("online", function () { if (!connected && retryTimer) { connect(); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !connected && retryTimer) { connect(); }
  });

  function mount() {
    document.body.appendChild(host);
    greet();
    if (stored("sessionStorage", OPEN_KEY)) {
      panel.hidden = false;
      root.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
    }
    if (stored("localStorage", TOKEN_KEY) || !panel.hidden) { connect(); }
  }

  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();

// The labelling page: plain JavaScript, no build step. Text from the server is only ever
// set as textContent, never as markup.
"use strict";

const SPEEDS = [0.25, 0.5, 1, 1.5, 2];
const KEYS = {
  ArrowLeft: "left", ArrowRight: "right", ArrowUp: "equal", ArrowDown: "skip",
  u: "undo", " ": "pause", "-": "slower", "=": "faster",
};
let current = null;   // {query_id, left, right}
let speed = SPEEDS.indexOf(1);
let busy = false;
const HEARTBEAT_MS = 60000;  // the pair on screen stays ours (claims go stale after 300 s)

const $ = (id) => document.getElementById(id);

async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  return {status: response.status, data};
}

function say(text) { $("message").textContent = text || ""; }

function footer(s) {
  const budget = s.budget === null || s.budget === undefined ? "?" : s.budget;
  $("footer").textContent =
    `${s.labeller}: labels ${s.everyone}/${budget} (you: ${s.yours}), waiting ${s.waiting}` +
    `  |  trainer: ${s.trainer}, ${s.env_steps} steps`;
  $("question").textContent = s.question;
}

function show(pair) {
  current = pair;
  $("pair").hidden = false;
  $("buttons").hidden = false;
  const videos = [$("left"), $("right")];
  videos[0].src = `/clips/${pair.left}.mp4`;
  videos[1].src = `/clips/${pair.right}.mp4`;
  let ready = 0;
  for (const video of videos) {
    video.playbackRate = SPEEDS[speed];
    video.onerror = () => {  // still rendering, or a failed render: ask again
      const src = video.src;
      setTimeout(() => { if (video.src === src) { video.src = src; } }, 2000);
    };
    video.oncanplay = () => {
      video.oncanplay = null;
      ready += 1;
      if (ready === 2) {  // start both together, and keep them together
        for (const v of videos) { v.currentTime = 0; v.play(); }
      }
    };
  }
  videos[0].ontimeupdate = () => {
    if (Math.abs(videos[1].currentTime - videos[0].currentTime) > 0.15) {
      videos[1].currentTime = videos[0].currentTime;
    }
  };
}

async function next() {
  const {status, data} = await call("/api/next", {});
  if (status === 401) { return loggedOut(data); }
  if (status !== 200) {
    say(`${data.error || "the server did not answer"}: trying again in 2 s`);
    setTimeout(next, 2000);
    return;
  }
  footer(data);
  if (data.query_id === null) {
    current = null;
    $("pair").hidden = true;
    $("buttons").hidden = true;
    say(data.trainer === "finished" ? "the run has finished: nothing left to label"
                                   : "no pair is waiting: checking again in 2 s");
    if (data.trainer !== "finished") { setTimeout(next, 2000); }
    return;
  }
  if (!current || current.query_id !== data.query_id) { show(data); }
}

async function act(what) {
  if (busy) { return; }
  if (what === "pause") {
    for (const v of [$("left"), $("right")]) { if (v.paused) { v.play(); } else { v.pause(); } }
    return;
  }
  if (what === "slower" || what === "faster") {
    speed = Math.min(SPEEDS.length - 1, Math.max(0, speed + (what === "faster" ? 1 : -1)));
    for (const v of [$("left"), $("right")]) { v.playbackRate = SPEEDS[speed]; }
    say(`speed ${SPEEDS[speed]}x`);
    return;
  }
  busy = true;
  try {
    if (what === "undo") {
      const {status, data} = await call("/api/undo", {});
      say(status === 200 ? "last answer undone: that pair will be asked again" : data.error);
      if (status === 200) { footer(data); }
      return;
    }
    if (!current) { return; }
    const {status, data} = await call("/api/answer", {query_id: current.query_id, choice: what});
    if (status === 401) { return loggedOut(data); }
    say(status === 200 ? "" : `${data.error}: next pair`);
    current = null;
    await next();
  } finally {
    busy = false;
  }
}

function loggedOut(data) {
  $("pair").hidden = true;
  $("buttons").hidden = true;
  say((data && data.error) || "log in with your invite link");
}

async function start() {
  const secret = decodeURIComponent(location.hash.slice(1));
  if (secret) {
    history.replaceState(null, "", location.pathname);  // the secret leaves the address bar
    const {status, data} = await call("/api/login", {secret});
    if (status !== 200) { return loggedOut(data); }
  }
  const {status, data} = await call("/api/state");
  if (status !== 200) { return loggedOut(data); }
  footer(data);
  await next();
}

setInterval(async () => {
  if (!current || busy) { return; }
  const {status, data} = await call("/api/next", {});
  if (status === 200 && data.query_id !== null && current && data.query_id !== current.query_id) {
    say("that pair waited too long and went to someone else: here is another");
    show(data);
  }
}, HEARTBEAT_MS);

document.addEventListener("keydown", (event) => {
  const what = KEYS[event.key];
  if (what) { event.preventDefault(); act(what); }
});
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target.id === "left" || target.id === "right") { act(target.id); }
  if (target.dataset && target.dataset.choice) { act(target.dataset.choice); }
  if (target.dataset && target.dataset.do) { act(target.dataset.do); }
});
start();

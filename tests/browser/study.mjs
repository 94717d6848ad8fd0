// study.mjs -- the study page at GET / in a real browser, walked as a
// student would.
//
// Starts the built server ($WENDA_BIN, default build/wenda) on a free
// 127.0.0.1 port with a database in a temporary directory and opens the
// page in Debian's Chromium (headless, through playwright-core) at 375x800.
// It then searches from the keyboard (/ and Ctrl-K, an input-method slip
// and its suggestion, ↑/↓/Enter/Esc, a second page of hits), opens a topic,
// follows a related topic, the next topic of the category and a tag, asks
// for an unknown topic, category and tag, takes a seeded quiz (the same
// questions as the API's for that seed, again after a reload), grades it
// from the keyboard without a token and checks the SM-2 states the page
// keeps against an independent SM-2, moves the page's clock two days on to
// see the topics due and walks the review queue, then sets a reader token
// (made with the built binary) and checks through the API that the server
// received every review in order.  On every screen it checks that every
// control has an accessible name, that the page fits 375 px, and the WCAG
// contrast of the main text styles in the light and the dark scheme, and
// saves screenshots (phone and desktop, light; phone, dark) to
// $WENDA_ARTIFACTS (default build/artifacts), plus study.png for the README.
// Any error or failed request the page logs fails the test.  Run from the
// repository root.  Exits 0 when every check passed, 1 otherwise; the whole
// run is bounded by TEST_TIMEOUT_MS, and the server and the browser are
// stopped on every path.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const TEST_TIMEOUT_MS = 180_000;
const BIN = resolve(process.env.WENDA_BIN || "build/wenda");
const ARTIFACTS = resolve(process.env.WENDA_ARTIFACTS || "build/artifacts");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PHONE = { width: 375, height: 800 };
const DESKTOP = { width: 1280, height: 800 };
const DAY_MS = 86_400_000;

let server = null;
let browser = null;
let current = null;     // the page, to show what it said when a check failed
let serverLog = "";
const tmp = mkdtempSync(join(tmpdir(), "wenda-browser-"));
const db = join(tmp, "w.db");
const shots = [];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function assert(cond, what) {
  if (!cond) throw new Error("assertion failed: " + what);
}

async function startServer() {
  const port = await freePort();
  server = spawn(BIN, ["serve", "--bind", "127.0.0.1", "--port", String(port),
                       "--db", db, "--content", "content"],
                 { stdio: ["ignore", "pipe", "pipe"] });
  for (const s of [server.stdout, server.stderr])
    s.on("data", (d) => { serverLog = (serverLog + d).slice(-4000); });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`server exited early (${server.exitCode ?? server.signalCode})`);
    try {
      const r = await fetch(base + "/healthz");
      if (r.status === 200) return base;
    } catch { /* not listening yet */ }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error("server never answered /healthz");
}

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null)
    server.kill("SIGKILL");
  server = null;
}

// A reader token, made as an administrator would, with the built binary.
function makeToken() {
  const r = spawnSync(BIN, ["token", "create", "--db", db, "--role", "reader",
                            "--name", "browser-test"], { encoding: "utf8" });
  assert(r.status === 0, "wenda token create: " + r.stderr);
  const tok = r.stdout.trim().split("\n")[0];
  assert(/^wnd_/.test(tok), "a token was printed: " + tok);
  return tok;
}

// SM-2 as docs/api.md and service/study.c define it, written out again so
// that the page's copy is checked against something it did not produce.
function sm2(s, grade) {
  let { rep, interval, ef } = s;
  if (grade >= 3) {
    interval = rep === 0 ? 1 : rep === 1 ? 6 : Math.floor((interval * ef + 50) / 100);
    rep += 1;
  } else {
    rep = 0;
    interval = 1;
  }
  const q = 5 - grade;
  ef = Math.max(130, ef + 10 - q * (8 + 2 * q));
  return { rep, interval, ef };
}

// ---- checks run in the page ----------------------------------------------

// Controls without an accessible name (aria-label, labelledby, label, text).
function unnamedControls() {
  const out = [];
  for (const e of document.querySelectorAll(
      "a[href], button, input, select, textarea, [role=button], summary")) {
    if (e.closest("[hidden]") || e.type === "hidden") continue;
    const r = e.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    let name = (e.getAttribute("aria-label") || "").trim();
    const by = e.getAttribute("aria-labelledby");
    if (!name && by)
      name = by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "")
        .join(" ").trim();
    if (!name && e.labels && e.labels.length)
      name = [...e.labels].map((l) => l.textContent).join(" ").trim();
    if (!name && !(e instanceof HTMLInputElement) && !(e instanceof HTMLSelectElement))
      name = e.textContent.trim();
    if (!name) name = (e.getAttribute("title") || "").trim();
    if (!name) out.push(e.outerHTML.slice(0, 120));
  }
  return out;
}

// WCAG 2 contrast of text against its nearest opaque background, for the
// main text styles present on the screen; returns those under 4.5:1.
function lowContrast(selectors) {
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return rgb(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  };
  const out = [];
  const seen = [];
  for (const sel of selectors) {
    for (const e of [...document.querySelectorAll(sel)].slice(0, 8)) {
      if (e.closest("[hidden]") || e.disabled || !e.getClientRects().length) continue;
      const fg = rgb(getComputedStyle(e).color).slice(0, 3);
      const bg = background(e);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      seen.push(sel);
      if (ratio < 4.5) out.push(`${sel} ${ratio.toFixed(2)}:1 (${fg} on ${bg})`);
    }
  }
  return { low: out, seen: [...new Set(seen)] };
}

const TEXT_STYLES = ["body", "h1", "h2", "nav a", "#q", "main a", ".sub", ".status",
                     ".snippet", "mark", ".tag", ".answer", ".answer pre",
                     ".correction dt", ".correction dd", "button", "button.primary",
                     ".grades kbd", ".due-note", ".error", ".stat b", ".score", "label", "select"];

// ---- screens ---------------------------------------------------------------

async function shot(page, name, fullPage = true) {
  const path = join(ARTIFACTS, name + ".png");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage });
  shots.push(name);
}

// Checks the screen shown (names, width, contrast in both schemes) and saves
// it at phone and desktop size, and at phone size in the dark.
async function screen(page, name) {
  const unnamed = await page.evaluate(unnamedControls);
  assert(unnamed.length === 0, `${name}: controls without a name: ${unnamed.join(" | ")}`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= PHONE.width, `${name}: fits 375 px (page is ${width} px)`);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    const { low, seen } = await page.evaluate(lowContrast, TEXT_STYLES);
    assert(seen.includes("body") && seen.includes("h1"), `${name}: contrast checked`);
    assert(low.length === 0, `${name} (${scheme}): low contrast: ${low.join("; ")}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
  await shot(page, name + "-phone");
  await page.setViewportSize(DESKTOP);
  await shot(page, name + "-desktop");
  await page.setViewportSize(PHONE);
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, name + "-phone-dark");
  await page.emulateMedia({ colorScheme: "light" });
}

async function text(locator) {
  return ((await locator.textContent()) || "").trim();
}

// ---- the flows ------------------------------------------------------------

async function keyboardSearch(page) {
  await page.locator("#view h1").click();
  await page.keyboard.press("/");
  assert(await page.evaluate(() => document.activeElement.id === "q"), "/ focuses search");
  await page.keyboard.type("死琐");
  const note = page.locator("#corrected");
  await note.waitFor();
  assert((await note.textContent()).includes("死锁"), "the page suggests 死锁 for 死琐");
  assert(await note.locator("a").getAttribute("href") === "#/search/" + encodeURIComponent("死锁"),
         "the suggestion links to its search");
  assert(await page.locator("#results .hit").first().getAttribute("data-slug") === "deadlock",
         "the corrected search finds deadlock first");
  await page.keyboard.press("Escape");
  await page.locator("#due-count").waitFor();
  assert(await page.inputValue("#q") === "", "Esc clears the search");

  await page.locator("#view h1").click();
  await page.keyboard.press("Control+k");
  assert(await page.evaluate(() => document.activeElement.id === "q"), "Ctrl-K focuses search");
  await page.keyboard.type("死锁");
  await note.waitFor({ state: "detached" });
  const first = page.locator("#results .hit").first();
  await page.waitForFunction(() => document.querySelector("#results .hit")?.dataset.slug === "deadlock");
  assert(await text(first.locator(".hit-title")) === "死锁", "the first hit's title is 死锁");
  assert(await first.locator(".snippet mark").count() > 0, "the snippet marks the match");
  assert(await first.locator(".hit-title mark").count() > 0, "the title marks the match");
  // ↑/↓ walk the hits of 锁 (several), Enter opens the one selected.
  await page.keyboard.press("Control+a");
  await page.keyboard.type("锁");
  await page.waitForFunction(() => document.querySelector("#view h1")?.textContent === "“锁”的结果");
  const active = () => page.evaluate(() => document.activeElement.dataset.slug || document.activeElement.id);
  const slugs = await page.locator("#results .hit").evaluateAll((as) => as.map((a) => a.dataset.slug));
  assert(slugs.length >= 2, "锁 finds more than one topic");
  await page.keyboard.press("ArrowDown");
  assert(await active() === slugs[0], "↓ from the box selects the first hit");
  await page.keyboard.press("ArrowDown");
  assert(await active() === slugs[1], "↓ selects the second hit");
  await page.keyboard.press("ArrowUp");
  assert(await active() === slugs[0], "↑ goes back to the first hit");
  await screen(page, "search");
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp("#/topic/" + slugs[0] + "$"));
  await page.locator("#view .answer").waitFor();

  // Back returns to the search results.
  await page.goBack();
  await page.locator("#results .hit").first().waitFor();
  await page.goForward();
  await page.locator("#view .answer").waitFor();
}

async function pagedSearch(page, base) {
  const api = await (await fetch(base + "/v1/search?limit=1&q=" + encodeURIComponent("程"))).json();
  assert(api.total > 20 && api.total <= 40, `程 has between 21 and 40 hits (${api.total})`);
  await page.locator("#q").fill("程");
  await page.waitForFunction(() => document.querySelectorAll("#results .hit").length === 20);
  await page.getByRole("button", { name: "显示更多" }).click();
  await page.waitForFunction((n) => document.querySelectorAll("#results .hit").length === n, api.total);
  assert(await page.getByRole("button", { name: "显示更多" }).isHidden(), "no more button after the last hit");
  const slugs = await page.locator("#results .hit").evaluateAll((as) => as.map((a) => a.dataset.slug));
  assert(new Set(slugs).size === slugs.length, "the second page repeats no hit");
  await page.locator("#q").focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp("#/topic/" + slugs[0] + "$"));
  await page.locator("#view .answer").waitFor();
}

async function topicPages(page, base) {
  await page.goto(base + "/#/topic/deadlock");
  const related = page.locator("#related a");
  await related.first().waitFor();
  const api = await (await fetch(base + "/v1/topics/deadlock/related?limit=5")).json();
  assert(await related.count() === api.items.length, "the related topics are listed");
  await page.locator("#related a[href='#/topic/gil']").click();
  await page.waitForURL(/#\/topic\/gil$/);
  await page.locator("#related").waitFor();
  assert(await text(page.locator("#view h1")) === "GIL 锁", "the related topic opens");
  assert(await page.locator(".correction").count() > 0, "its corrections are shown");
  assert((await text(page.locator("#view h2").first())).startsWith("勘误"), "under 勘误");
  await screen(page, "topic");
  await shot(page, "study", false);

  const gil = await (await fetch(base + "/v1/topics/gil")).json();
  const next = page.locator(".pager a.next");
  const nextTitle = (await text(next)).replace(/^下一题：/, "").replace(/ →$/, "");
  await next.click();
  await page.waitForFunction((t) => document.querySelector("#view h1")?.textContent === t, nextTitle);
  const slug = decodeURIComponent(page.url().split("#/topic/")[1]);
  const other = await (await fetch(base + "/v1/topics/" + slug)).json();
  assert(other.category === gil.category && other.order > gil.order, "下一题 is the next of the category");
  await page.locator(".pager a.prev").click();
  await page.waitForURL(/#\/topic\/gil$/);
  await page.locator("#related").waitFor();

  const tag = gil.tags[0];
  await page.locator(`.tags a[href='#/tag/${tag}']`).click();
  await page.waitForFunction((t) => document.querySelector("#view h1")?.textContent === "标签：" + t, tag);
  assert(await page.locator("#view a[href='#/topic/gil']").count() === 1, "the tag page lists the topic");
}

async function unknownPages(page, base, expect404) {
  expect404(true);
  for (const [hash, says] of [["#/topic/no-such-topic", "没有找到题目“no-such-topic”"],
                              ["#/category/no-such", "没有“no-such”这个分类"],
                              ["#/tag/no-such", "没有“no-such”这个标签"],
                              ["#/quiz?seed=1&category=no-such", "没有“no-such”这个分类"]]) {
    await page.goto(base + "/" + hash);
    await page.waitForFunction(() => document.querySelector("#view h1")?.textContent === "找不到");
    const body = await text(page.locator("#view"));
    assert(body.includes(says), `${hash} says ${says} (got ${body})`);
    assert(!/no such/i.test(body), `${hash} is said in Chinese: ${body}`);
  }
  await screen(page, "not-found");
  expect404(false);
}

async function cards(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem("wenda.study") || "{}"));
}

// A seeded quiz: the address holds seed and category, the questions are the
// API's for that seed, and grading from the keys 1–4 keeps SM-2 states.
async function seededQuiz(page, base) {
  await page.goto(base + "/#/quiz");
  await page.waitForURL(/#\/quiz\?seed=\d+$/);
  await page.locator("#view .quiz li").first().waitFor();

  const seed = 42, category = "concurrency";
  const api = await (await fetch(`${base}/v1/quiz?count=5&seed=${seed}&category=${category}`)).json();
  const questions = api.items.map((it) => it.question);
  await page.goto(`${base}/#/quiz?seed=${seed}&category=${category}`);
  const titles = () => page.locator("#view .quiz .q-title").allTextContents();
  await page.waitForFunction((n) => document.querySelectorAll("#view .quiz .q-title").length === n,
                             questions.length);
  assert(JSON.stringify(await titles()) === JSON.stringify(questions), "the quiz is the seed's");
  await page.reload();
  await page.waitForFunction((n) => document.querySelectorAll("#view .quiz .q-title").length === n,
                             questions.length);
  assert(JSON.stringify(await titles()) === JSON.stringify(questions), "the same quiz after a reload");
  assert(await page.inputValue("#quiz-category") === category, "the category is chosen");

  // Card styling: the button sits below its title, not against it.
  const t = await page.locator("#view .quiz .q-title").first().boundingBox();
  const b = await page.locator("#view .quiz .reveal").first().boundingBox();
  assert(b.y - (t.y + t.height) >= 4, `the button keeps off the title (${b.y - t.y - t.height} px)`);
  const pad = await page.locator("#view .quiz li").first().evaluate((e) => getComputedStyle(e).paddingLeft);
  assert(parseFloat(pad) >= 8, "quiz items are cards with padding");

  const keys = ["1", "3", "3", "4", "2"];            // Again Good Good Easy Hard
  const grades = { 1: 1, 2: 3, 3: 4, 4: 5 };
  const items = page.locator("#view .quiz > li");
  for (let i = 0; i < keys.length; i++) {
    const li = items.nth(i);
    await li.locator(".reveal").click();
    await li.locator(".grades").waitFor();
    await page.keyboard.press(keys[i]);
    await li.locator(".due-note").waitFor();
    assert((await text(li.locator(".due-note"))).includes("（1 天后）"), "the next review is shown");
    if (i === 3) await screen(page, "quiz-graded");
  }
  const right = keys.filter((k) => grades[k] >= 3).length;
  await page.locator("#score").waitFor();
  assert((await text(page.locator("#score"))).startsWith(`得分：${right} / 5`), "the score is shown");
  await screen(page, "quiz");

  const st = await cards(page);
  const expected = {};
  api.items.forEach((it, i) => {
    expected[it.id] = sm2({ rep: 0, interval: 0, ef: 250 }, grades[keys[i]]);
    const c = st.cards[it.id];
    assert(c && c.rep === expected[it.id].rep && c.interval === expected[it.id].interval &&
           c.ef === expected[it.id].ef, `SM-2 state of ${it.slug}: ${JSON.stringify(c)}`);
    assert(Date.parse(c.due) - Date.parse(c.at) === c.interval * DAY_MS, "due = reviewed + interval");
  });
  assert(st.pending.length === 5, "five reviews wait for a token");
  return { api, expected, right };
}

async function homeStats(page, base, right) {
  await page.goto(base + "/#/");
  await page.locator("#due-count").waitFor();
  assert(await text(page.locator("#due-count")) === "0", "nothing is due yet");
  assert(await text(page.locator("#today-count")) === "5", "five reviewed today");
  assert(await text(page.locator("#streak-count")) === "1", "a streak of one day");
  const cat = await text(page.locator("a[data-category='concurrency'] .sub"));
  assert(cat.includes(`已学 ${right} / 17`), `learnt per category (${cat})`);
  await screen(page, "home");
}

// Two days on (the page's clock) every graded topic is due; the review
// walks them earliest first and grades each Good with the key 3.
async function dueReview(page, base, quiz) {
  await page.clock.setSystemTime(Date.now() + 2 * DAY_MS);
  await page.goto(base + "/#/");
  await page.reload();
  await page.waitForFunction(() => document.querySelector("#due-count")?.textContent === "5");
  const st = await cards(page);
  const order = Object.values(st.cards)
    .sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.id - b.id)).map((c) => c.slug);
  await page.locator("a[href='#/review']").first().click();
  for (let i = 0; i < order.length; i++) {
    const card = page.locator("#review-card");
    await page.waitForFunction((s) => document.querySelector("#review-card")?.dataset.slug === s, order[i]);
    await page.keyboard.press("Enter");               // the focused 显示答案
    await card.locator(".grades").waitFor();
    if (i === 0) await screen(page, "review");
    const title = await text(card.locator(".q-title"));
    await page.keyboard.press("3");
    await page.waitForFunction((n) => document.querySelector("#last-graded")?.textContent
                                 .startsWith("“" + n + "”下次复习"), title);
  }
  await page.getByText("今天的复习完成了").waitFor();
  for (const id of Object.keys(quiz.expected)) quiz.expected[id] = sm2(quiz.expected[id], 4);
  const after = await cards(page);
  for (const [id, e] of Object.entries(quiz.expected))
    assert(after.cards[id].rep === e.rep && after.cards[id].interval === e.interval,
           `state after review of ${id}: ${JSON.stringify(after.cards[id])}`);
  assert(after.pending.length === 10, "ten reviews wait for a token");
}

// A reader token entered in the settings sends the ten reviews in order;
// the server's next answer for each topic proves it holds the same state.
async function tokenSync(page, base, quiz) {
  const token = makeToken();
  await page.goto(base + "/#/settings");
  await page.getByText("本机有 10 条复习记录待同步").waitFor();
  await page.getByLabel("阅读令牌（reader token）").fill(token);
  await screen(page, "settings");
  await page.getByRole("button", { name: "保存并同步" }).click();
  await page.getByText("已同步 10 条复习记录").waitFor();
  assert((await cards(page)).pending.length === 0, "nothing left to sync");

  await page.goto(base + "/#/");
  await page.waitForFunction(() => document.querySelector("#due-count")?.textContent === "0");
  for (const [id, e] of Object.entries(quiz.expected)) {
    const r = await fetch(`${base}/v1/progress/${id}`, {
      method: "POST", body: JSON.stringify({ grade: 4 }),
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" } });
    assert(r.status === 200, `POST /v1/progress/${id}: ${r.status}`);
    const s = await r.json();
    const want = sm2(e, 4);
    assert(s.repetitions === want.rep && s.interval_days === want.interval &&
           Math.round(s.easiness * 100) === want.ef,
           `the server kept the synced state of ${id}: ${JSON.stringify(s)} vs ${JSON.stringify(want)}`);
  }

  // With the token a grade goes straight to the server.
  await page.goto(base + "/#/topic/deadlock");
  await page.locator(".grades").waitFor();
  await page.keyboard.press("4");
  await page.locator("#view .due-note").waitFor();
  const left = (await cards(page)).pending;
  assert(left.length === 0, "a grade with a token is sent at once: " + JSON.stringify(left));
}

async function run() {
  const base = await startServer();
  const args = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                    args, timeout: 20_000 });
  const page = await browser.newPage({ viewport: PHONE });
  current = page;
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  let allow404 = false;
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (allow404 && /status of 404/.test(m.text())) return;
    pageErrors.push(m.text());
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  rmSync(join(ARTIFACTS, "failed.png"), { force: true });

  const resp = await page.goto(base + "/");
  assert(resp && resp.status() === 200, "GET / is 200");
  const csp = resp.headers()["content-security-policy"] || "";
  assert(csp.includes("default-src 'self'"), "GET / carries the Content-Security-Policy");
  assert(!csp.includes("unsafe-inline") && /script-src 'self' 'sha256-/.test(csp),
         "the policy allows the page's script by hash, no other inline code: " + csp);
  await page.locator("#due-count").waitFor();

  await keyboardSearch(page);
  await pagedSearch(page, base);
  await topicPages(page, base);
  await unknownPages(page, base, (on) => { allow404 = on; });
  const quiz = await seededQuiz(page, base);
  await homeStats(page, base, quiz.right);
  await dueReview(page, base, quiz);
  await tokenSync(page, base, quiz);

  assert(pageErrors.length === 0, "no errors in the page: " + pageErrors.join("; "));
  console.log(`browser-test: ok (${shots.length} screenshots in ${ARTIFACTS})`);
}

async function cleanup() {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  browser = null;
  stopServer();
  rmSync(tmp, { recursive: true, force: true });
}

const timer = setTimeout(async () => {
  console.error(`browser-test: timed out after ${TEST_TIMEOUT_MS / 1000} s`);
  await Promise.race([cleanup(), new Promise((ok) => setTimeout(ok, 5000))]);
  stopServer();
  process.exit(1);
}, TEST_TIMEOUT_MS);

let status = 0;
try {
  await run();
} catch (e) {
  status = 1;
  console.error("browser-test: FAILED: " + (e && e.stack ? e.stack : e));
  if (serverLog) console.error("server log (tail):\n" + serverLog);
  try {
    console.error("the page at " + current.url() + " said:\n" +
                  (await current.locator("#view").innerText({ timeout: 2000 })).slice(0, 1500));
    await current.screenshot({ path: join(ARTIFACTS, "failed.png"), fullPage: true });
  } catch { /* no page to show */ }
} finally {
  await cleanup();
  clearTimeout(timer);
}
process.exit(status);

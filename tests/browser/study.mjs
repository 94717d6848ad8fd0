// study.mjs -- the study page at GET / in a real browser.
//
// Starts the built server ($WENDA_BIN, default build/wenda) on a free
// 127.0.0.1 port with a database in a temporary directory, opens the page
// in Debian's Chromium (headless, through playwright-core) at 375x800, types
// 死琐 (an input-method slip) into the search box and checks that the page
// says it shows 死锁 instead, then 死锁, checks that the first hit is the
// deadlock topic with its title and snippet marked,
// opens it and checks that its answer is shown, then saves a screenshot to
// $WENDA_ARTIFACTS/study.png (default build/artifacts).  Run from the
// repository root.  Exits 0 when every check passed, 1 otherwise; the whole
// run is bounded by TEST_TIMEOUT_MS, and the server and the browser are
// stopped on every path.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const TEST_TIMEOUT_MS = 60_000;
const BIN = resolve(process.env.WENDA_BIN || "build/wenda");
const ARTIFACTS = resolve(process.env.WENDA_ARTIFACTS || "build/artifacts");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

let server = null;
let browser = null;
let serverLog = "";
const tmp = mkdtempSync(join(tmpdir(), "wenda-browser-"));

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
                       "--db", join(tmp, "w.db"), "--content", "content"],
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

async function run() {
  const base = await startServer();
  const args = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
                                    args, timeout: 20_000 });
  const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") pageErrors.push(m.text()); });

  const resp = await page.goto(base + "/");
  assert(resp && resp.status() === 200, "GET / is 200");
  assert((resp.headers()["content-security-policy"] || "").includes("default-src 'self'"),
         "GET / carries the Content-Security-Policy");

  // An input-method slip is corrected, and the page says so.
  await page.locator("#q").fill("死琐");
  const note = page.locator("#corrected");
  await note.waitFor();
  assert((await note.textContent()).includes("死锁"), "the page says 死琐 was read as 死锁");
  assert(await page.locator("#results .hit").first().getAttribute("data-slug") === "deadlock",
         "the corrected search finds deadlock first");

  await page.locator("#q").fill("死锁");
  await note.waitFor({ state: "detached" });
  const first = page.locator("#results .hit").first();
  await first.waitFor();
  const slug = await first.getAttribute("data-slug");
  const title = (await first.locator(".hit-title").textContent()).trim();
  assert(slug === "deadlock", `the first hit is deadlock (got ${slug})`);
  assert(title === "死锁", `the first hit's title is 死锁 (got ${title})`);
  assert(await first.locator(".snippet mark").count() > 0, "the snippet marks the match");
  assert(await first.locator(".hit-title mark").count() > 0, "the title marks the match");

  await first.click();
  await page.waitForURL(/#\/topic\/deadlock$/);
  const answer = page.locator("#view .answer");
  await answer.waitFor();
  const text = await answer.textContent();
  assert(text.includes("死锁"), "the answer mentions 死锁");
  assert((await page.locator("#view h1").textContent()).trim() === "死锁", "the topic's title is shown");

  // The page fits a phone: nothing wider than the viewport.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(width <= 375, `no horizontal scrolling at 375 px (page is ${width} px)`);

  // Back returns to the search results.
  await page.goBack();
  await page.locator("#results .hit").first().waitFor();

  await page.goForward();
  await page.locator("#view .answer").waitFor();
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "study.png"), fullPage: true });
  assert(pageErrors.length === 0, "no errors in the page: " + pageErrors.join("; "));
  console.log(`browser-test: ok (first hit ${slug} ${title}; screenshot ${join(ARTIFACTS, "study.png")})`);
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
} finally {
  await cleanup();
  clearTimeout(timer);
}
process.exit(status);

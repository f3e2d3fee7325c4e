// What the browser tests of nst serve's page share: the server as a process, checks, the
// accessibility audit and the page errors watched.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

// `nst serve` on a port (0: a free one) with its data in `folder`, resolved once it says where
// it listens.
export function startServer(nst, port, folder, extra = []) {
  const server = spawn(nst, ["serve", "--port", String(port), "--data", folder, "--weights", "random",
                             ...extra],
                       { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start: " + log)), 30000);
    server.stderr.on("data", (chunk) => {
      log += chunk;
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({ process: server, url: m[1], port: Number(m[2]) });
      }
    });
    server.on("exit", (code) => reject(new Error(`the server exited (${code}): ${log}`)));
  });
}
export function killServer(server) {
  return new Promise((resolve) => {
    if (server.process.exitCode !== null || server.process.signalCode !== null) return resolve();
    server.process.on("exit", () => resolve());
    server.process.kill("SIGKILL");
  });
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
}

// axe-core's audit of the page as it is now: no serious or critical violation.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
export async function audit(page, what) {
  await page.evaluate(axeSource);  // evaluated, not a script tag: no page policy can block it
  const result = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(bad.length === 0, `accessibility audit of ${what}: ` + bad.map((v) =>
      `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("; "));
}

export function watchForErrors(page, errors) {
  page.on("pageerror", (e) => errors.push("exception: " + e.message));
  page.on("response", (r) => { if (r.status() === 404) errors.push("404: " + r.url()); });
}

// Presses Tab until the focus is on `selector`; fails when it never gets there.
export async function tabTo(page, selector) {
  for (let i = 0; i < 60; ++i) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  check(false, `${selector} cannot be reached with the Tab key`);
}

export const shownJob = (page) => page.evaluate(() => location.hash.replace("#/jobs/", ""));
// Waits until the page shows a job other than `before` ("" for any), after Paint; fails with
// what the form said otherwise.
export async function waitForNewJob(page, before, what) {
  await page.waitForFunction((id) => /^#\/jobs\/./.test(location.hash) && location.hash !== "#/jobs/" + id,
                             before, { timeout: 30000 })
      .catch(async () => check(false, `${what}: no new job is shown after Paint; the form says "` +
                                      await page.textContent("#form-error") + '"'));
  return shownJob(page);
}

// Waits for the job's result to be shown, and checks that the picture is that job's result.
export async function expectResultShown(page, url, id) {
  await page.waitForFunction((id) => {
    const img = document.getElementById("preview");
    // The title too: right after a change of address the view may still be the last job's.
    return location.hash === "#/jobs/" + id &&
           document.getElementById("job-title").textContent === "Job " + id &&
           document.getElementById("job-state").textContent === "done" &&
           document.getElementById("preview-caption").textContent === "the result" &&
           img.complete && img.naturalWidth > 0;
  }, id, { timeout: 300000 }).catch(() => check(false, `job ${id}: its result is not shown`));
  const result = await (await page.request.get(url + "api/jobs/" + id + "/result")).body();
  const shown = await page.evaluate(async () =>
      Array.from(new Uint8Array(await (await fetch(document.getElementById("preview").src))
                                          .arrayBuffer())));
  check(Buffer.from(shown).equals(result), `the picture shown for job ${id} is not its result`);
  check(await page.isVisible("#download"), `no download button for job ${id}'s result`);
}

// Screenshots of every page open now, for a test that failed.
export async function screenshotAll(browser, prefix) {
  for (const [i, open] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await open.screenshot({ path: `${prefix}-failed-${i}.png`, fullPage: true }).catch(() => {});
  }
}

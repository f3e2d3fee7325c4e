// The page of `nst serve` in headless Chromium, as a user would use it: pick a photo and a
// painting, set a small size, paint, and wait for the result to be shown.
//   node page_test.mjs URL PHOTO PAINTING [SCREENSHOT_PREFIX]
// Exits 0 when the result is shown with its download button; 1 with the reason otherwise.
// With a prefix, it saves PREFIX-running.png (mid-run) and PREFIX-done.png.
import { chromium } from "playwright-core";

const [url, photo, painting, screenshots] = process.argv.slice(2);
if (!painting) {
  console.error("usage: node page_test.mjs URL PHOTO PAINTING [SCREENSHOT_PREFIX]");
  process.exit(2);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  check((await page.title()).startsWith("nst"), "the page has no nst title");

  // The form's defaults are the server's own (GET /api/settings).
  const served = await (await page.request.get(url + "api/settings")).json();
  const defaultSize = served.settings.find((s) => s.name === "size").default;
  await page.waitForFunction((size) => document.getElementById("size").value === String(size),
                             defaultSize, { timeout: 10000 })
      .catch(() => check(false, `the size field does not show the server's default ${defaultSize}`));

  await page.setInputFiles("#content", photo);
  await page.setInputFiles("#style", painting);
  check((await page.locator("#content-drop img").count()) === 1, "the photo is not shown");
  await page.fill("#size", "96");
  await page.fill("#iterations", "60");
  await page.click("#submit");

  // Mid-run: the progress bar and the preview are updating.
  await page.waitForFunction(() => {
    const text = document.getElementById("job-progress").textContent;
    const m = text.match(/^(\d+) \/ (\d+)/);
    return m && +m[1] > 5;
  }, null, { timeout: 120000 });
  await page.waitForFunction(() => document.getElementById("preview").src.startsWith("blob:"),
                             null, { timeout: 60000 });
  if (screenshots) await page.screenshot({ path: screenshots + "-running.png" });

  await page.waitForFunction(() => document.getElementById("job-state").textContent === "done",
                             null, { timeout: 300000 });
  // The result replaces the preview; wait until it is decoded.
  await page.waitForFunction(() => {
    const img = document.getElementById("preview");
    return document.getElementById("preview-caption").textContent === "the result" &&
           img.complete && img.naturalWidth > 0;
  }, null, { timeout: 60000 });
  const [width, height] = await page.evaluate(() => {
    const img = document.getElementById("preview");
    return [img.naturalWidth, img.naturalHeight];
  });
  check(Math.max(width, height) === 96, `the result shown is ${width}x${height}, not 96 px wide`);
  // It is the result itself, not a preview whose fetch finished late.
  const jobId = await page.evaluate(() => document.getElementById("job-title").textContent
                                              .replace("Job ", ""));
  const result = await (await page.request.get(url + "api/jobs/" + jobId + "/result")).body();
  const shown = await page.evaluate(async () =>
      Array.from(new Uint8Array(await (await fetch(document.getElementById("preview").src))
                                          .arrayBuffer())));
  check(Buffer.from(shown).equals(result), "the picture shown is not the job's result");
  check(await page.isVisible("#download"), "no download button for the result");
  await page.waitForSelector("#jobs li .state.done", { timeout: 10000 })
      .catch(() => check(false, "the job list does not show the job done"));
  if (screenshots) await page.screenshot({ path: screenshots + "-done.png" });
  // Only what the user changed was sent: the other settings keep the server's defaults.
  const jobs = (await (await page.request.get(url + "api/jobs")).json()).jobs;
  const sent = Object.keys(jobs[0].options).sort().join(",");
  check(sent === "iterations,size", `the page sent the options ${sent}, not iterations,size`);
  check(errors.length === 0, "errors in the page: " + errors.join("; "));
  console.log(`the page painted a ${width}x${height} picture and shows it`);
} catch (e) {
  console.error("page test failed: " + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}

// The page of `nst serve` in headless Chromium, as people use it: with the keyboard alone
// (pick a photo and a painting, set a size, paint, open a job from the list), with a reload
// and a server restart in the middle of a job, with back and forward between jobs, on a
// desktop and on a phone, and audited by axe-core (no serious or critical violations).
//   node page_test.mjs NST_BINARY DATA_DIR PHOTO PAINTING [SCREENSHOT_PREFIX]
// It starts `nst serve` itself (and kills it with SIGKILL mid-job, then starts it again on
// the same port). Exits 0 when every check passed; 1 with the first that failed otherwise.
// With a prefix, it saves PREFIX-desktop-running.png, PREFIX-desktop-done.png,
// PREFIX-desktop-advanced.png, PREFIX-phone-running.png, PREFIX-phone-done.png and
// PREFIX-phone-delete.png.
import { readFileSync } from "node:fs";
import { audit, check, expectResultShown, killServer, launchBrowser, screenshotAll, shownJob,
         startServer as start, tabTo, waitForNewJob, watchForErrors } from "./page_util.mjs";

const [nst, data, photo, painting, screenshots] = process.argv.slice(2);
if (!painting) {
  console.error("usage: node page_test.mjs NST_BINARY DATA_DIR PHOTO PAINTING [SCREENSHOT_PREFIX]");
  process.exit(2);
}
const startServer = (port, extra = [], folder = data) => start(nst, port, folder, extra);

// The picker focused now, opened with the keyboard, given a file. The page's file choosers
// are caught by a listener added when the page was made (catchFileChoosers): one added just
// before the key press may not be in place in time, and the press then opens nothing.
const fileChoosers = new Map();  // page -> the resolve of the chooser awaited
function catchFileChoosers(page) {
  page.on("filechooser", (chooser) => fileChoosers.get(page)?.(chooser));
}
async function pickWithKeyboard(page, file) {
  const opened = new Promise((resolve) => fileChoosers.set(page, resolve));
  await page.keyboard.press("Space");
  const chooser = await Promise.race([opened, new Promise((r) => setTimeout(() => r(null), 10000))]);
  check(chooser, "Space on the focused picker opens no file chooser");
  await chooser.setFiles(file);
}

const iteration = (page) => page.evaluate(() => {
  const m = document.getElementById("job-progress").textContent.match(/^(\d+) \/ (\d+)/);
  return m ? Number(m[1]) : -1;
});
async function waitForIteration(page, above, what) {
  await page.waitForFunction((n) => {
    const m = document.getElementById("job-progress").textContent.match(/^(\d+) \/ (\d+)/);
    return m && Number(m[1]) > n;
  }, above, { timeout: 180000 }).catch(() => check(false, `${what}: the progress stays at or below ${above}`));
}

let server = await startServer(0);
const browser = await launchBrowser();
try {
  const url = server.url;
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  watchForErrors(page, errors);
  catchFileChoosers(page);
  await page.goto(url);
  check((await page.title()).startsWith("nst"), "the page has no nst title");

  // The form's defaults are the server's own (GET /api/settings).
  const served = await (await page.request.get(url + "api/settings")).json();
  const defaultSize = served.settings.find((s) => s.name === "size").default;
  await page.waitForFunction((size) => document.getElementById("opt-size")?.value === String(size),
                             defaultSize, { timeout: 10000 })
      .catch(() => check(false, `the size field does not show the server's default ${defaultSize}`));
  check(await page.isHidden("#job"), "a job view is shown before any job");
  // Presets, the standard one chosen, timed once the server has a speed to go by.
  check(await page.isChecked("#preset-standard"), "the standard preset is not the one chosen");
  await page.waitForFunction(() => /first job/.test(document.getElementById("estimate-quick").textContent),
                             null, { timeout: 10000 })
      .catch(() => check(false, "the quick preset does not say that its time is known after a first job"));
  await audit(page, "the empty page");

  // Keyboard only: the pickers, the fields and Paint, in tab order, with a visible focus.
  await tabTo(page, "#content");
  const outline = await page.evaluate(() => getComputedStyle(document.getElementById("content-pick")).outlineStyle);
  check(outline !== "none", "the focused photo picker has no visible focus");
  await pickWithKeyboard(page, photo);
  check((await page.locator("#content-chosen img").count()) === 1, "the photo chosen is not shown");
  await tabTo(page, "#style");
  await pickWithKeyboard(page, painting);
  // The presets are one radio group: the arrow keys choose, and the size follows.
  await tabTo(page, "#preset-standard");
  await page.keyboard.press("ArrowUp");
  await page.waitForFunction(() => document.getElementById("preset-quick").checked &&
                                   document.getElementById("opt-size")?.value === "256", null, { timeout: 5000 })
      .catch(() => check(false, "the arrow keys do not choose the quick preset and its size"));
  await page.waitForFunction(() => /^This picture: /.test(document.getElementById("estimate").textContent),
                             null, { timeout: 10000 })
      .catch(() => check(false, "no plan is said for the chosen pictures"));
  for (const [field, value] of [["#opt-size", "96"], ["#opt-iterations", "300"]]) {
    await tabTo(page, field);
    await page.keyboard.press("Control+A");
    await page.keyboard.type(value);
  }
  check(!(await page.isChecked("#preset-quick")), "a size typed in still shows the quick preset");
  await tabTo(page, "#submit");
  await page.keyboard.press("Enter");
  const first = await waitForNewJob(page, "", "the first job");

  // Mid-run: the progress bar (a progressbar with its values) and the preview.
  await waitForIteration(page, 5, "the first job");
  const valueNow = Number(await page.getAttribute("#job-bar-track", "aria-valuenow"));
  check(await page.getAttribute("#job-bar-track", "role") === "progressbar" && valueNow > 0,
        `the progress bar is not a progressbar with a value (aria-valuenow ${valueNow})`);
  await page.waitForFunction(() => document.getElementById("preview").src.startsWith("blob:"),
                             null, { timeout: 60000 });
  const summary = await page.textContent("#curve-summary");
  check(/^from .* at iteration \d+ to .* at iteration \d+/.test(summary),
        `the loss curve has no text summary: "${summary}"`);
  await audit(page, "a running job");
  if (screenshots) await page.screenshot({ path: screenshots + "-desktop-running.png" });

  // A reload mid-job shows the same job, still moving.
  let before = await iteration(page);
  await page.reload();
  check(await shownJob(page) === first, "after a reload the URL has lost the job");
  await waitForIteration(page, before, "after a reload");
  check(await page.textContent("#job-title") === "Job " + first, "after a reload another job is shown");

  // The server killed mid-job: the page says it reconnects; started again on the same port,
  // it goes on from the job's checkpoint and the page follows it without a reload.
  before = await iteration(page);
  await killServer(server);
  await page.waitForFunction(() => /reconnecting/.test(document.getElementById("job-notice").textContent),
                             null, { timeout: 30000 })
      .catch(() => check(false, "the page does not say that the live updates were cut"));
  server = await startServer(server.port);
  await waitForIteration(page, before, "after the server restarted");
  await page.waitForFunction(() => document.getElementById("job-notice").textContent === "", null,
                             { timeout: 30000 })
      .catch(() => check(false, "the notice of the cut stays after the stream is back"));
  await expectResultShown(page, url, first);
  await page.waitForSelector(`#jobs button[data-id="${first}"] .state.done`, { timeout: 10000 })
      .catch(() => check(false, "the job list does not show the job done"));
  // The compare slider: at its end (by keyboard) the photo covers the result, and it is the
  // photo uploaded. Beside them the job's pictures and the settings it was sent with.
  await page.focus("#compare");
  await page.keyboard.press("End");
  const clip = await page.evaluate(() => document.getElementById("compare-photo").style.clipPath);
  check(/^inset\(0(px)? 0%/.test(clip) && await page.isVisible("#compare-photo"),
        `at the slider's end the photo does not cover the result (clip-path ${clip})`);
  const photoShown = await page.evaluate(async () =>
      Array.from(new Uint8Array(await (await fetch(document.getElementById("compare-photo").src)).arrayBuffer())));
  check(Buffer.from(photoShown).equals(readFileSync(photo)), "the photo under the slider is not the one uploaded");
  check(await page.locator("#input-pictures img").count() === 2, "the job's photo and painting are not shown");
  const settingsShown = await page.textContent("#job-settings");
  check(/Size \(px\)96/.test(settingsShown) && /Ended/.test(settingsShown),
        `the job's settings are not shown: "${settingsShown}"`);
  // The gallery: the job's thumbnail and how long it took.
  await page.waitForFunction((id) => document.querySelector(`#jobs button[data-id="${id}"] img`)?.naturalWidth > 0,
                             first, { timeout: 10000 })
      .catch(() => check(false, "the job list shows no thumbnail of the job"));
  check(/took \d+ (s|min)/.test(await page.textContent(`#jobs button[data-id="${first}"]`)),
        "the job list does not say how long the job took");
  await audit(page, "a finished job");
  if (screenshots) await page.screenshot({ path: screenshots + "-desktop-done.png" });
  // The download, as PNG (the result's own bytes) and as JPEG, named after the pictures.
  for (const [format, name] of [["png", "content-in-the-style-of-style.png"],
                                ["jpeg", "content-in-the-style-of-style.jpg"]]) {
    await page.selectOption("#format", format);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    check(download.suggestedFilename() === name, `the ${format} download is named ${download.suggestedFilename()}`);
    const bytes = readFileSync(await download.path());
    const result = await (await page.request.get(url + "api/jobs/" + first + "/result")).body();
    check(format === "png" ? bytes.equals(result) : bytes[0] === 0xff && bytes[1] === 0xd8,
          `the ${format} download is not the result as ${format}`);
  }
  // Only what the user changed was sent: the other settings keep the server's defaults.
  const firstJob = await (await page.request.get(url + "api/jobs/" + first)).json();
  const sent = Object.keys(firstJob.options).sort().join(",");
  check(sent === "iterations,size", `the page sent the options ${sent}, not iterations,size`);

  // With a done job the server knows its speed: the presets say their times.
  await page.waitForFunction(() => /about \d+ (s|min|h)/.test(document.getElementById("estimate-high").textContent),
                             null, { timeout: 10000 })
      .catch(async () => check(false, "after a job the presets do not say their times: " +
                                      await page.textContent("#preset-list")));

  // A second job, with the mouse and the advanced settings (two paintings blended 2:1, two
  // scales), whose progress says the scale; run again from its view (a third job, the same);
  // then the first opened from the list by keyboard, and back and forward between them: each
  // view shows its own job's result.
  await page.setInputFiles("#content", photo);
  await page.setInputFiles("#style", [painting, photo]);
  await page.fill("#opt-size", "96");
  await page.fill("#opt-iterations", "30");
  await page.click("#advanced summary");
  await page.fill("#blend-0", "2");
  await page.fill("#opt-scales", "2");
  await page.fill("#opt-coarse-iterations", "10");
  check(await page.isVisible("#blend-1") && await page.isVisible("#opt-tv-weight-help"),
        "the advanced settings show no weight for the second painting, or no help");
  const tvHelp = served.settings.find((s) => s.name === "tv-weight").help;
  check(await page.textContent("#opt-tv-weight-help") === tvHelp, "a setting's help is not the server's");
  await audit(page, "the advanced settings");
  if (screenshots) await page.screenshot({ path: screenshots + "-desktop-advanced.png", fullPage: true });
  await page.evaluate(() => {  // every scale the progress names, however fast it goes
    window.scalesSeen = new Set();
    // Each text the page sets is a new text node in a record, even when one task sets many.
    new MutationObserver((records) => {
      for (const node of records.flatMap((r) => [...r.addedNodes])) {
        const m = node.textContent.match(/^scale \d of \d/);
        if (m) window.scalesSeen.add(m[0]);
      }
    }).observe(document.getElementById("job-progress"), { childList: true });
  });
  await page.click("#submit");
  const second = await waitForNewJob(page, first, "the second job");
  await expectResultShown(page, url, second);
  const scalesSeen = await page.evaluate(() => [...window.scalesSeen].sort().join(", "));
  check(scalesSeen === "scale 1 of 2, scale 2 of 2", `the progress named the scales "${scalesSeen}"`);
  const secondJob = await (await page.request.get(url + "api/jobs/" + second)).json();
  const secondSent = JSON.stringify(secondJob.options);
  check(secondSent === JSON.stringify({"coarse-iterations": 10, iterations: 30, scales: "2", size: 96,
                                       "style-blend": [2, 1]}),
        `the advanced settings were sent as ${secondSent}`);
  await page.click("#again", { timeout: 10000 });
  await page.waitForFunction(() => document.activeElement?.id === "submit", null, { timeout: 10000 })
      .catch(() => check(false, "Run again does not bring the form, ready to paint"));
  const form = await page.evaluate(() => ({
    photo: [...document.getElementById("content").files].map((f) => f.name).join(","),
    paintings: [...document.getElementById("style").files].map((f) => f.name).join(","),
    scales: document.getElementById("opt-scales").value, blend: document.getElementById("blend-0").value,
    size: document.getElementById("opt-size").value, advanced: document.getElementById("advanced").open }));
  check(JSON.stringify(form) === JSON.stringify({photo: "content.png", paintings: "style.png,content.png",
                                                 scales: "2", blend: "2", size: "96", advanced: true}),
        "Run again filled the form with " + JSON.stringify(form));
  await page.keyboard.press("Enter");
  const third = await waitForNewJob(page, second, "the job run again");
  await expectResultShown(page, url, third);
  const thirdSent = JSON.stringify((await (await page.request.get(url + "api/jobs/" + third)).json()).options);
  check(thirdSent === secondSent, `run again sent ${thirdSent}, not ${secondSent}`);
  await page.focus("#submit");
  await tabTo(page, `#jobs button[data-id="${first}"]`);
  await page.keyboard.press("Enter");
  await expectResultShown(page, url, first);
  await page.goBack();
  await expectResultShown(page, url, third);
  await page.goForward();
  await expectResultShown(page, url, first);
  check(errors.length === 0, "on the desktop: " + errors.join("; "));

  // A phone: Paint brings the job into view.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true,
                                        hasTouch: true });
  const phoneErrors = [];
  watchForErrors(phone, phoneErrors);
  await phone.goto(url);
  await phone.waitForFunction(() => document.getElementById("opt-size")?.value !== "", null, { timeout: 10000 });
  await audit(phone, "the page on a phone");
  await phone.setInputFiles("#content", photo);
  await phone.setInputFiles("#style", painting);
  await phone.fill("#opt-size", "96");
  await phone.fill("#opt-iterations", "60");
  await phone.tap("#submit");
  await waitForNewJob(phone, "", "on the phone");
  await waitForIteration(phone, 2, "on the phone");
  const top = await phone.evaluate(() => document.getElementById("job").getBoundingClientRect().top);
  check(top >= 0 && top < 844 / 2, `after Paint the job view is ${Math.round(top)} px down the phone's screen`);
  if (screenshots) await phone.screenshot({ path: screenshots + "-phone-running.png" });
  const fourth = await shownJob(phone);
  await expectResultShown(phone, url, fourth);
  if (screenshots) await phone.screenshot({ path: screenshots + "-phone-done.png", fullPage: true });
  // Delete asks first: kept when the user says no, gone when yes.
  const exists = async () => (await phone.request.get(url + "api/jobs/" + fourth)).status() === 200;
  await phone.tap("#delete");
  await phone.waitForSelector("#confirm-delete[open]", { timeout: 5000 })
      .catch(() => check(false, "Delete does not ask first"));
  if (screenshots) await phone.screenshot({ path: screenshots + "-phone-delete.png" });
  await phone.keyboard.press("Escape");
  await phone.waitForSelector("#confirm-delete:not([open])", { state: "attached", timeout: 5000 });
  check(await exists(), "the job is gone though the user said no");
  await phone.tap("#delete");
  await phone.tap("#confirm-delete-yes");
  await phone.waitForFunction(() => location.hash === "" && document.getElementById("job").hidden,
                              null, { timeout: 10000 })
      .catch(() => check(false, "after a confirmed delete the job is still shown"));
  check(!(await exists()), "the job is still there after a confirmed delete");
  check(phoneErrors.length === 0, "on the phone: " + phoneErrors.join("; "));

  // A server that wants a token: the page asks for it, says when one is refused, and does not
  // ask the server again and again meanwhile; the right one opens the jobs.
  const locked = await startServer(0, ["--token", "open-sesame"], data + "-locked");
  try {
    const guest = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let refusals = 0;
    guest.on("response", (r) => { if (r.status() === 401) ++refusals; });
    await guest.goto(locked.url);
    await guest.waitForSelector("#token", { state: "visible", timeout: 10000 });
    await guest.waitForFunction(() => /needs an access token/.test(document.getElementById("form-error").textContent));
    await guest.fill("#token", "wrong");
    await guest.press("#token", "Enter");
    await guest.waitForFunction(() => /refused this access token/.test(document.getElementById("form-error").textContent),
                                null, { timeout: 10000 })
        .catch(() => check(false, "a wrong token is not said to be refused"));
    await guest.waitForTimeout(1500);  // the answers to the requests made with it, all in
    const refusedSoFar = refusals;
    await guest.waitForTimeout(7000);  // two rounds of the job list's refresh
    check(refusals === refusedSoFar, `the page asked ${refusals - refusedSoFar} more times with a refused token`);
    await guest.fill("#token", "open-sesame");
    await guest.press("#token", "Enter");
    await guest.waitForFunction(() => document.getElementById("form-error").textContent === "" &&
                                      document.getElementById("opt-size")?.value !== "", null, { timeout: 10000 })
        .catch(() => check(false, "the right token does not clear the error and load the settings"));
    await guest.close();
  } finally {
    await killServer(locked);
  }
  console.log(`the page painted jobs ${first} and ${second} with the keyboard and the mouse, ` +
              "through a reload and a server restart, and on a phone; it handled a token");
} catch (e) {
  console.error("page test failed: " + e.message);
  if (screenshots) await screenshotAll(browser, screenshots);  // what the page looked like then
  process.exitCode = 1;
} finally {
  await browser.close();
  await killServer(server);
}

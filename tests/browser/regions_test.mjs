// The page's regions (serve/page/mask-painter.js) in headless Chromium: a photo and two
// paintings, the first painting's brush over the whole photo and the second's over its right
// half, with the mouse; undo, the eraser and clear; the brushes chosen with the keyboard; the
// masks the job is sent (checked pixel by pixel); Run again bringing them back; a painting
// left unpainted sending none, then Fill the rest; a phone; axe-core audits throughout.
//   node regions_test.mjs NST_BINARY DATA_DIR PHOTO PAINTING [SCREENSHOT_PREFIX]
// With a prefix, it saves PREFIX-desktop-regions.png, PREFIX-desktop-regions-done.png and
// PREFIX-phone-regions.png.
import { audit, check, expectResultShown, killServer, launchBrowser, screenshotAll, startServer,
         tabTo, waitForNewJob, watchForErrors } from "./page_util.mjs";

const [nst, data, photo, painting, screenshots] = process.argv.slice(2);
if (!painting) {
  console.error("usage: node regions_test.mjs NST_BINARY DATA_DIR PHOTO PAINTING [SCREENSHOT_PREFIX]");
  process.exit(2);
}

// Drags the mouse across the canvas from (x0, y0), which must be on it, to (x1, y1), which may
// be beyond it, in fractions of its size.
async function drag(page, [x0, y0], [x1, y1]) {
  await page.locator("#mask-canvas").scrollIntoViewIfNeeded();
  const box = await page.locator("#mask-canvas").boundingBox();
  await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
  await page.mouse.down();
  await page.mouse.move(box.x + x1 * box.width, box.y + y1 * box.height, { steps: 8 });
  await page.mouse.up();
}
// Rows of strokes from column x0 (on the canvas) to x1, 0.096 of the canvas's height apart: a
// brush a sixth of its height covers them whole. The strokes' round ends reach half a brush
// before x0.
const rows = [...Array(11).keys()].map((k) => 0.02 + 0.096 * k);
async function paintColumns(page, x0, x1) {
  for (const y of rows) await drag(page, [x0, y], [x1, y]);
}
async function setBrushSize(page, pixels) {
  await page.evaluate((v) => {
    const size = document.getElementById("brush-size");
    size.value = String(v);
    size.dispatchEvent(new Event("input", { bubbles: true }));
  }, pixels);
}
// The paint shown over the photo at (x, y) (fractions): [r, g, b, a] of the overlay canvas,
// with the mouse away (over the canvas it draws the brush's outline).
async function shownAt(page, x, y) {
  await page.mouse.move(1, 1);
  return page.evaluate(([x, y]) => {
    const canvas = document.getElementById("mask-canvas");
    return [...canvas.getContext("2d").getImageData(Math.floor(x * canvas.width),
                                                     Math.floor(y * canvas.height), 1, 1).data];
  }, [x, y]);
}
// The grey of a served mask (a PNG) at points given as fractions, and its size.
async function maskPixels(page, url, id, index, points) {
  return page.evaluate(async ([path, points]) => {
    const bitmap = await createImageBitmap(await (await fetch(path)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height), g = canvas.getContext("2d");
    g.drawImage(bitmap, 0, 0);
    const at = ([x, y]) => g.getImageData(Math.floor(x * bitmap.width), Math.floor(y * bitmap.height), 1, 1).data;
    return { width: bitmap.width, height: bitmap.height,
             greys: points.map((p) => { const d = at(p); return d[0] === d[1] && d[1] === d[2] ? d[0] : -1; }) };
  }, [url + "api/jobs/" + id + "/style-masks/" + index, points]);
}
const left = [[0.2, 0.5], [0.1, 0.1], [0.35, 0.9]], right = [[0.8, 0.5], [0.65, 0.1], [0.95, 0.9]];
// Checks that job `id` was sent mask 0 white on the left and black on the right, and mask 1 the
// reverse; with `size` ([w, h]), that both are that size.
async function expectHalves(page, url, id, what, size = null) {
  for (const [index, whiteAt, blackAt] of [[0, left, right], [1, right, left]]) {
    const mask = await maskPixels(page, url, id, index, [...whiteAt, ...blackAt]);
    check(!size || (mask.width === size[0] && mask.height === size[1]),
          `${what}: mask ${index} is ${mask.width}x${mask.height}, not ${size?.join("x")}`);
    check(mask.greys.join() === [...whiteAt.map(() => 255), ...blackAt.map(() => 0)].join(),
          `${what}: mask ${index} is not white where painting ${index + 1} was painted only: ${mask.greys}`);
  }
}

const server = await startServer(nst, 0, data);
const browser = await launchBrowser();
try {
  const url = server.url;
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchForErrors(page, errors);
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("opt-size")?.value !== "", null, { timeout: 10000 });
  check(await page.isHidden("#regions"), "the regions are offered before there is a photo to paint on");
  await page.setInputFiles("#content", photo);
  await page.setInputFiles("#style", [painting, photo]);
  await page.fill("#opt-size", "96");
  await page.fill("#opt-iterations", "20");
  await page.click("#regions summary");
  await page.waitForSelector("#brush-1", { timeout: 10000 });
  check(await page.locator("#brush-list input[type=radio]").count() === 3,
        "the brushes are not one per painting and an eraser");
  check(await page.isChecked("#brush-0"), "the first painting's brush is not the one chosen");
  check(/Nothing painted/.test(await page.textContent("#regions-status")), "the status does not say nothing is painted");
  check(await page.isDisabled("#undo") && await page.isDisabled("#clear"), "undo or clear is offered with nothing painted");

  // The first brush over everything, the second over the right half (its strokes start half a
  // brush right of the middle, so that their round ends reach the middle).
  const box = await page.locator("#mask-canvas").boundingBox();
  const brush = Math.round(box.height / 6);
  await setBrushSize(page, brush);
  await paintColumns(page, 0.001, 1.2);
  await page.click("#brush-1");
  const half = brush / 2 / box.width;
  await paintColumns(page, 0.5 + half, 1.2);
  const [red, blue] = [await shownAt(page, 0.2, 0.5), await shownAt(page, 0.8, 0.5)];
  check(red[0] > red[2] && blue[2] > blue[0] && red[3] > 0 && blue[3] > 0,
        `the two brushes' paint is not shown in their colours: ${red} and ${blue}`);

  // Undo takes the last stroke away (the bottom row of the right half), painting it again puts
  // it back; the eraser clears a spot of both; clear takes all, and undo brings it back.
  await page.click("#undo");
  check((await shownAt(page, 0.8, 0.99))[2] < blue[2], "undo does not take the last stroke away");
  await drag(page, [0.5 + half, rows.at(-1)], [1.2, rows.at(-1)]);
  check((await shownAt(page, 0.8, 0.99))[2] === blue[2], "the stroke painted again is not there");
  await page.click("#brush-eraser");
  await drag(page, [0.2, 0.3], [0.2, 0.3]);
  check((await shownAt(page, 0.2, 0.3))[3] === 0, "the eraser leaves paint");
  await page.click("#undo");
  check((await shownAt(page, 0.2, 0.3))[3] === red[3], "undo does not bring back what the eraser took");
  await page.click("#clear");
  check((await shownAt(page, 0.2, 0.5))[3] === 0 && (await shownAt(page, 0.8, 0.5))[3] === 0,
        "clear leaves paint");
  await page.click("#undo");
  check((await shownAt(page, 0.2, 0.5))[3] === red[3], "undo does not bring back what clear took");
  const status = await page.textContent("#regions-status");
  check(/where painted.*where painted/.test(status), `the status does not say both paintings act where painted: "${status}"`);

  // The brushes are one radio group: reached with Tab, chosen with the arrow keys.
  await page.focus("#regions summary");
  await tabTo(page, "#brush-list input:checked");  // the eraser, chosen last
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  check(await page.isChecked("#brush-0"), "the arrow keys do not choose a brush");
  await audit(page, "the regions");
  if (screenshots) await page.screenshot({ path: screenshots + "-desktop-regions.png", fullPage: true });

  // What was sent: a mask per painting, the photo's shape, white where its brush painted.
  await page.click("#submit");
  const first = await waitForNewJob(page, "", "the job with regions");
  const job = await (await page.request.get(url + "api/jobs/" + first)).json();
  check(JSON.stringify(job.style_masks) === JSON.stringify(["mask-1.png", "mask-2.png"]),
        `the job's masks are ${JSON.stringify(job.style_masks)}`);
  const photoSize = await page.evaluate(async () => {  // at most 1024 pixels a side
    const b = await createImageBitmap(document.getElementById("content").files[0]);
    const scale = Math.min(1, 1024 / Math.max(b.width, b.height));
    return [Math.round(b.width * scale), Math.round(b.height * scale)];
  });
  await expectHalves(page, url, first, "the first job", photoSize);
  await expectResultShown(page, url, first);
  check(await page.locator("#input-pictures img").count() === 5,
        "the job's photo, paintings and masks are not all shown");
  await audit(page, "a finished job with regions");
  if (screenshots) await page.screenshot({ path: screenshots + "-desktop-regions-done.png", fullPage: true });

  // Run again: the regions come back, and are sent again.
  await page.click("#again");
  await page.waitForFunction(() => document.activeElement?.id === "submit", null, { timeout: 10000 })
      .catch(() => check(false, "Run again does not bring the form, ready to paint"));
  check(await page.evaluate(() => document.getElementById("regions").open), "Run again does not open the regions");
  const [againRed, againBlue] = [await shownAt(page, 0.2, 0.5), await shownAt(page, 0.8, 0.5)];
  check(againRed.join() === red.join() && againBlue.join() === blue.join(),
        `Run again shows the regions as ${againRed} and ${againBlue}, not ${red} and ${blue}`);
  await page.keyboard.press("Enter");
  const second = await waitForNewJob(page, first, "the job run again");
  await expectHalves(page, url, second, "run again");

  // Only the second painting painted: the first sends no mask and acts everywhere.
  await page.click("#clear");
  await page.click("#brush-1");
  await paintColumns(page, 0.5 + half, 1.2);
  check(/everywhere/.test(await page.textContent("#brush-0-note")),
        "the unpainted painting's brush does not say it acts everywhere");
  await page.click("#submit");
  const third = await waitForNewJob(page, second, "the job with one region");
  const thirdJob = await (await page.request.get(url + "api/jobs/" + third)).json();
  check(JSON.stringify(thirdJob.style_masks) === JSON.stringify([null, "mask-2.png"]),
        `with one painting painted the masks sent are ${JSON.stringify(thirdJob.style_masks)}`);

  // Fill the rest, with the keyboard: the first painting gets every place the second has not.
  check(await page.isDisabled("#fill") === false, "Fill the rest is not offered with a brush chosen");
  await page.click("#brush-eraser");
  check(await page.isDisabled("#fill"), "Fill the rest is offered with the eraser");
  await page.click("#brush-0");
  await page.focus("#fill");
  await page.keyboard.press("Enter");
  await page.click("#submit");
  const fourth = await waitForNewJob(page, third, "the job with the rest filled");
  const fourthJob = await (await page.request.get(url + "api/jobs/" + fourth)).json();
  check(JSON.stringify(fourthJob.style_masks) === JSON.stringify(["mask-1.png", "mask-2.png"]),
        `after Fill the rest the masks sent are ${JSON.stringify(fourthJob.style_masks)}`);
  await expectHalves(page, url, fourth, "after Fill the rest");
  check(errors.length === 0, "on the desktop: " + errors.join("; "));

  // A phone: the photo fills the width, and a finger-sized brush paints.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phoneErrors = [];
  watchForErrors(phone, phoneErrors);
  await phone.goto(url);
  await phone.waitForFunction(() => document.getElementById("opt-size")?.value !== "", null, { timeout: 10000 });
  await phone.setInputFiles("#content", photo);
  await phone.setInputFiles("#style", [painting, photo]);
  await phone.tap("#regions summary");
  await phone.waitForSelector("#brush-1", { timeout: 10000 });
  const phoneBox = await phone.locator("#mask-canvas").boundingBox();
  check(phoneBox.width > 300, `on a phone the photo to paint on is ${phoneBox.width} px wide`);
  await paintColumns(phone, 0.001, 0.4);
  check((await shownAt(phone, 0.1, 0.5))[3] > 0, "on a phone the brush does not paint");
  await audit(phone, "the regions on a phone");
  if (screenshots) {
    await phone.locator("#regions").scrollIntoViewIfNeeded();
    await phone.screenshot({ path: screenshots + "-phone-regions.png" });
  }
  check(phoneErrors.length === 0, "on the phone: " + phoneErrors.join("; "));
  console.log(`the page sent the regions painted for jobs ${first}, ${second}, ${third} and ${fourth}`);
} catch (e) {
  console.error("regions test failed: " + e.message);
  if (screenshots) await screenshotAll(browser, screenshots);
  process.exitCode = 1;
} finally {
  await browser.close();
  await killServer(server);
}

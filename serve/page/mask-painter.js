// Regions for the page of `nst serve`: the user paints over the photo where each painting
// should act, with one brush per painting (each its own colour), an eraser, a brush size, undo
// and clear, and "Fill the rest", which gives the chosen brush every place no brush has painted
// (paint the sky, then fill the rest with another painting). Each painting's paint becomes its
// mask (README, "Regions"): a greyscale PNG, white where painted, sent as the form's
// style-mask-N part. A painting left unpainted sends no mask and so acts everywhere, as the API
// has it.
//
// Strokes are kept as a list and the masks are drawn again from it after an undo: a few bytes
// a point rather than a copy of every mask per step.
"use strict";

class MaskPainter {
  // The colours of the brushes, in the paintings' order (the server takes 10 paintings unless
  // told otherwise; past 10 they repeat). Each is readable on white as text and swatch.
  static colours = ["#d62728", "#1f6fd1", "#2a8a2a", "#b35c00", "#8e3fbf",
                    "#c2185b", "#00796b", "#5d4037", "#455a64", "#7a7a00"];
  static maxSide = 1024;  // the masks' longest side: the server resizes them to the run's size
  static shown = 0.5;     // how strongly the paint covers the photo on screen

  // elements: {box, stage, photo, brushes, size, undo, clear, fill, status}; onChange() is called
  // when what would be sent changes.
  constructor(elements, onChange) {
    this.e = elements;
    this.onChange = onChange;
    this.names = [];     // the paintings' file names
    this.strokes = [];   // {brush (painting index, -1: eraser), width, points} or {clear: true}
                         // or {brush, fill: true} (Fill the rest) or {brush, picture}: a
                         // mask loaded whole (Run again)
    this.masks = [];     // one canvas per painting, the paint in its colour
    this.drawing = null; // the stroke under the pointer
    this.hover = null;   // the mouse's place on the masks while it is over them
    this.brush = 0;
    this.photo = null;   // the File the regions are painted on
    this.photoUrl = "";
    const stage = this.e.stage;
    stage.addEventListener("pointerdown", (e) => this.start(e));
    stage.addEventListener("pointermove", (e) => this.extend(e));
    stage.addEventListener("pointerleave", () => { this.hover = null; this.show(); });
    for (const end of ["pointerup", "pointercancel"]) stage.addEventListener(end, () => this.finish());
    this.e.undo.addEventListener("click", () => this.undo());
    this.e.clear.addEventListener("click", () => this.clear());
    this.e.fill.addEventListener("click", () => this.fill());
  }

  // The pictures chosen. A new photo starts the regions again; new paintings keep those of the
  // brushes that are still there. Calls can overlap (the photo, then the paintings): the last
  // one wins.
  async setPictures(photo, paintings) {
    const call = this.calls = (this.calls || 0) + 1;
    this.names = paintings.map((file) => file.name);
    this.strokes = photo === this.photo ?
        this.strokes.filter((s) => s.clear || s.brush < this.names.length) : [];
    this.photo = photo;
    this.e.box.hidden = !photo || !paintings.length;
    if (this.e.box.hidden) {
      this.masks = [];
      return this.update();
    }
    let width = 4, height = 3;
    try {
      const bitmap = await createImageBitmap(photo);
      [width, height] = [bitmap.width, bitmap.height];
      bitmap.close();
    } catch (err) {}  // not a picture: the form says so when it is sent
    if (call !== this.calls) return;
    if (this.photoUrl) URL.revokeObjectURL(this.photoUrl);
    this.photoUrl = URL.createObjectURL(photo);
    this.e.photo.src = this.photoUrl;
    const scale = Math.min(1, MaskPainter.maxSide / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale)), h = Math.max(1, Math.round(height * scale));
    this.e.stage.width = w;
    this.e.stage.height = h;
    this.masks = this.names.map(() => MaskPainter.canvas(w, h, true));
    this.brush = Math.min(this.brush, this.names.length - 1);
    this.showBrushes();
    this.redraw();
  }

  // One radio button per brush, coloured like its paint, and the eraser.
  showBrushes() {
    const list = this.e.brushes;
    list.textContent = "";
    const add = (index, name) => {
      const label = document.createElement("label"), radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "brush";
      radio.id = "brush-" + (index < 0 ? "eraser" : index);
      radio.checked = index === this.brush;
      radio.addEventListener("change", () => {
        this.brush = index;
        this.e.fill.disabled = index < 0;  // the eraser fills nothing
      });
      const swatch = document.createElement("span");
      swatch.className = "swatch" + (index < 0 ? " eraser" : "");
      if (index >= 0) swatch.style.background = MaskPainter.colour(index);
      const text = document.createElement("span"), note = document.createElement("span");
      note.className = "muted";
      note.id = radio.id + "-note";
      text.append(name, note);
      label.append(radio, swatch, text);
      list.append(label);
    };
    this.names.forEach((name, i) => add(i, name));
    add(-1, "Eraser");
  }
  static colour(index) { return MaskPainter.colours[index % MaskPainter.colours.length]; }
  // A canvas off screen; `reads`: its pixels are read back often (painted()).
  static canvas(width, height, reads = false) {
    const canvas = Object.assign(document.createElement("canvas"), {width, height});
    canvas.getContext("2d", {willReadFrequently: reads});
    return canvas;
  }

  // The pointer's place on the masks, in their pixels.
  point(e) {
    const box = this.e.stage.getBoundingClientRect();
    return [(e.clientX - box.left) * this.e.stage.width / box.width,
            (e.clientY - box.top) * this.e.stage.height / box.height];
  }
  // The brush's width in the masks' pixels: the slider is in pixels of the picture on screen.
  width() {
    return Number(this.e.size.value) * this.e.stage.width / this.e.stage.getBoundingClientRect().width;
  }
  start(e) {
    if (e.button !== 0 || !this.masks.length) return;
    e.preventDefault();
    this.e.stage.setPointerCapture(e.pointerId);
    this.drawing = {brush: this.brush, width: this.width(), points: [this.point(e)]};
    this.strokes.push(this.drawing);
    this.paint(this.drawing, 0);
    this.show();
  }
  extend(e) {
    if (e.pointerType === "mouse") this.hover = this.point(e);  // where the brush outline goes
    if (!this.drawing) return this.show();
    for (const event of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) {
      this.drawing.points.push(this.point(event));
      this.paint(this.drawing, this.drawing.points.length - 2);
    }
    this.show();
  }
  finish() {
    if (!this.drawing) return;
    this.drawing = null;
    this.update();
  }
  undo() {
    this.strokes.pop();
    this.redraw();
  }
  clear() {
    this.strokes.push({clear: true});
    this.redraw();
  }
  fill() {
    if (this.brush < 0 || !this.masks.length) return;
    this.strokes.push({brush: this.brush, fill: true});
    this.redraw();
  }

  // Draws a stroke from its point `from` on: its brush's mask gets the paint, every other loses
  // it there (a place belongs to one painting); the eraser takes it from all.
  paint(stroke, from) {
    this.masks.forEach((mask, i) => {
      const g = mask.getContext("2d");
      if (stroke.clear) return g.clearRect(0, 0, mask.width, mask.height);
      if (stroke.fill) {  // the brush's colour where no mask has paint, in proportion at soft edges
        if (i !== stroke.brush) return;
        const rest = MaskPainter.canvas(mask.width, mask.height), r = rest.getContext("2d");
        r.fillStyle = MaskPainter.colour(i);
        r.fillRect(0, 0, mask.width, mask.height);
        r.globalCompositeOperation = "destination-out";
        for (const other of this.masks) r.drawImage(other, 0, 0);
        g.globalCompositeOperation = "source-over";
        return g.drawImage(rest, 0, 0);
      }
      const adds = i === stroke.brush;
      g.globalCompositeOperation = adds ? "source-over" : "destination-out";
      if (stroke.picture) {
        if (adds) g.drawImage(stroke.picture, 0, 0, mask.width, mask.height);
        return;
      }
      g.strokeStyle = g.fillStyle = MaskPainter.colour(i);
      g.lineWidth = stroke.width;
      g.lineCap = g.lineJoin = "round";
      const p = stroke.points;
      g.beginPath();
      if (p.length === 1) {  // a dab
        g.arc(p[0][0], p[0][1], stroke.width / 2, 0, 2 * Math.PI);
        g.fill();
      } else {
        g.moveTo(...p[Math.max(0, from)]);
        for (let k = Math.max(1, from + 1); k < p.length; ++k) g.lineTo(...p[k]);
        g.stroke();
      }
    });
  }
  redraw() {
    for (const mask of this.masks) mask.getContext("2d").clearRect(0, 0, mask.width, mask.height);
    for (const stroke of this.strokes) this.paint(stroke, 0);
    this.update();
  }
  // The paint over the photo.
  show() {
    const stage = this.e.stage, g = stage.getContext("2d");
    g.clearRect(0, 0, stage.width, stage.height);
    g.globalAlpha = MaskPainter.shown;
    for (const mask of this.masks) g.drawImage(mask, 0, 0);
    g.globalAlpha = 1;
    if (this.hover) {  // the brush's outline under a mouse: its size before it paints
      g.lineWidth = stage.width / stage.getBoundingClientRect().width;
      for (const [colour, radius] of [["#fff", 0], ["#1d2330", g.lineWidth]]) {
        g.strokeStyle = colour;
        g.beginPath();
        g.arc(...this.hover, this.width() / 2 + radius, 0, 2 * Math.PI);
        g.stroke();
      }
    }
  }
  // After a change: the picture, the buttons, and what each painting will do.
  update() {
    this.show();
    const painted = this.masks.map((mask) => MaskPainter.painted(mask));
    const any = painted.some((p) => p);
    this.e.undo.disabled = !this.strokes.length;
    this.e.clear.disabled = !any;
    this.e.fill.disabled = this.brush < 0 || !this.masks.length;
    this.names.forEach((name, i) => {
      const note = document.getElementById("brush-" + i + "-note");
      if (note) note.textContent = painted[i] ? "" : any ? " (everywhere: nothing painted)" : "";
    });
    this.e.status.textContent = !any ? "Nothing painted: every painting acts on the whole photo." :
        this.names.map((name, i) => name + ": " + (painted[i] ? "where painted" : "everywhere")).join("; ") + ".";
    this.onChange();
  }
  static painted(mask) {
    const pixels = mask.getContext("2d").getImageData(0, 0, mask.width, mask.height).data;
    for (let k = 3; k < pixels.length; k += 4) if (pixels[k]) return true;
    return false;
  }

  // The masks to send, [[painting index, PNG blob], ...]: white where painted (soft at the
  // brush's edge), black elsewhere; none when nothing is painted.
  async masksToSend() {
    const sent = [];
    for (const [i, mask] of this.masks.entries()) {
      if (!MaskPainter.painted(mask)) continue;
      const white = MaskPainter.canvas(mask.width, mask.height);
      const w = white.getContext("2d");
      w.drawImage(mask, 0, 0);
      w.globalCompositeOperation = "source-in";  // the paint's coverage, in white
      w.fillStyle = "#fff";
      w.fillRect(0, 0, mask.width, mask.height);
      const out = MaskPainter.canvas(mask.width, mask.height);
      const g = out.getContext("2d");
      g.fillStyle = "#000";
      g.fillRect(0, 0, mask.width, mask.height);
      g.drawImage(white, 0, 0);
      sent.push([i, await new Promise((resolve) => out.toBlob(resolve, "image/png"))]);
    }
    return sent;
  }

  // A mask sent before (Run again), as paint of painting `index`: its grey becomes the paint's
  // coverage. Undo takes it away like a stroke.
  async load(index, blob) {
    const bitmap = await createImageBitmap(blob);
    const picture = MaskPainter.canvas(this.e.stage.width, this.e.stage.height, true);
    const g = picture.getContext("2d");
    g.drawImage(bitmap, 0, 0, picture.width, picture.height);
    bitmap.close();
    const image = g.getImageData(0, 0, picture.width, picture.height), p = image.data;
    const [r, gr, b] = [1, 3, 5].map((k) => parseInt(MaskPainter.colour(index).substr(k, 2), 16));
    for (let k = 0; k < p.length; k += 4) {
      const grey = Math.round(0.299 * p[k] + 0.587 * p[k + 1] + 0.114 * p[k + 2]);
      [p[k], p[k + 1], p[k + 2], p[k + 3]] = [r, gr, b, grey];
    }
    g.putImageData(image, 0, 0);
    this.strokes.push({brush: index, picture});
    this.redraw();
  }
}

// One picture set for every 1–5 scale the person answers: progress (reviews), mood (weekly checks)
// and satisfaction (feedback conversations). High contrast; each picture differs from the others in
// shape as well as colour (WCAG 1.4.1), and the number and word are always beside it.
import { svg } from "../vendor/lit-html.js";

export const SCALES = {
  progress: {
    question: "How is it going?",
    words: { 1: "Not started", 2: "Starting", 3: "Getting better", 4: "Nearly there", 5: "Done it" },
    picture: progressPicture,
  },
  mood: {
    question: "How have you felt this week?",
    words: { 1: "Very sad", 2: "Sad", 3: "OK", 4: "Happy", 5: "Very happy" },
    picture: moodPicture,
  },
  satisfaction: {
    question: "How happy are you with your support?",
    words: { 1: "Very unhappy", 2: "Unhappy", 3: "OK", 4: "Happy", 5: "Very happy" },
    picture: moodPicture,
  },
};

// What the person says when they do not want to choose a picture.
export const SKIP_WORDS = "Not sure / skip";

// Each level has its own colour and its own badge shape (circle, triangle, square, diamond, star);
// only the steps climbed so far are built, so the staircase grows from one step to five.
const LEVEL = {
  1: { fill: "#5c5c5c", badge: "M14 6 a8 8 0 1 0 0.01 0 Z" },
  2: { fill: "#8a3b00", badge: "M14 5 L22 20 L6 20 Z" },
  3: { fill: "#6b5300", badge: "M7 6 H21 V20 H7 Z" },
  4: { fill: "#1f5f9e", badge: "M14 4 L23 13 L14 22 L5 13 Z" },
  5: { fill: "#0b5d57", badge: "M14 3 L16.6 10.2 L24 10.4 L18.1 15 L20.3 22.3 L14 18 L7.7 22.3 L9.9 15 L4 10.4 L11.4 10.2 Z" },
};

function progressPicture(n) {
  const level = LEVEL[n];
  const steps = [1, 2, 3, 4, 5].map((i) => (i <= n
    ? svg`<rect x=${8 + (i - 1) * 16} y=${90 - i * 12} width="16" height=${i * 12} fill=${level.fill} stroke="#1a1a1a" stroke-width="2"/>`
    : svg`<rect x=${8 + (i - 1) * 16} y=${90 - i * 12} width="16" height=${i * 12} fill="none" stroke="#767676" stroke-width="1.5" stroke-dasharray="3 3"/>`));
  const x = n === 5 ? 76 : 16 + (n - 1) * 16; // on the top step, just left of the flag
  const y = 90 - n * 12;
  return svg`<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false" class="picture" data-level=${n}>
    <path d=${level.badge} fill=${level.fill} stroke="#1a1a1a" stroke-width="1.5"/>
    ${steps}
    ${n === 5 ? svg`<line x1="87" y1="30" x2="87" y2="4" stroke="#1a1a1a" stroke-width="2"/>
      <path d="M87 4 L95 8 L87 12 Z" fill=${level.fill} stroke="#1a1a1a" stroke-width="1.5"/>` : ""}
    <circle cx=${x} cy=${y - 20} r="5" fill="#1a1a1a"/>
    <line x1=${x} y1=${y - 15} x2=${x} y2=${y - 6} stroke="#1a1a1a" stroke-width="3"/>
    <line x1=${x} y1=${y - 6} x2=${x - 4} y2=${y} stroke="#1a1a1a" stroke-width="3"/>
    <line x1=${x} y1=${y - 6} x2=${x + 4} y2=${y} stroke="#1a1a1a" stroke-width="3"/>
    ${n === 5
      ? svg`<line x1=${x} y1=${y - 12} x2=${x + 6} y2=${y - 20} stroke="#1a1a1a" stroke-width="3"/><line x1=${x} y1=${y - 12} x2=${x - 6} y2=${y - 20} stroke="#1a1a1a" stroke-width="3"/>`
      : svg`<line x1=${x} y1=${y - 12} x2=${x + 5} y2=${y - 8} stroke="#1a1a1a" stroke-width="3"/><line x1=${x} y1=${y - 12} x2=${x - 5} y2=${y - 8} stroke="#1a1a1a" stroke-width="3"/>`}
  </svg>`;
}

// Faces from very sad to very happy: the mouth's curve carries the meaning. The very sad face has
// brows raised in the middle and a tear (sad, not cross: brows that slope down to the nose look angry).
function moodPicture(n) {
  const curve = { 1: -14, 2: -7, 3: 0, 4: 8, 5: 15 }[n];
  return svg`<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false" class="picture" data-level=${n}>
    <circle cx="48" cy="48" r="42" fill="#fff7cc" stroke="#1a1a1a" stroke-width="3"/>
    <circle cx="34" cy="40" r="5" fill="#1a1a1a"/><circle cx="62" cy="40" r="5" fill="#1a1a1a"/>
    ${n === 1 ? svg`<path d="M25 31 Q31 29 39 24" fill="none" stroke="#1a1a1a" stroke-width="3" stroke-linecap="round"/>
      <path d="M71 31 Q65 29 57 24" fill="none" stroke="#1a1a1a" stroke-width="3" stroke-linecap="round"/>
      <path d="M30 49 Q26 56 30 59 Q34 56 30 49 Z" fill="#1f5f9e" stroke="#1a1a1a" stroke-width="1.5"/>` : ""}
    ${n === 5 ? svg`<path d="M27 30 Q34 24 41 30" fill="none" stroke="#1a1a1a" stroke-width="3" stroke-linecap="round"/>
      <path d="M55 30 Q62 24 69 30" fill="none" stroke="#1a1a1a" stroke-width="3" stroke-linecap="round"/>` : ""}
    <path d=${`M30 ${66 - curve / 2} Q48 ${66 + curve} 66 ${66 - curve / 2}`} fill="none" stroke="#1a1a1a" stroke-width="4" stroke-linecap="round"/>
  </svg>`;
}

// A question mark in a circle: "Not sure / skip", for any scale.
export function skipPicture() {
  return svg`<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false" class="picture">
    <circle cx="48" cy="48" r="42" fill="#ffffff" stroke="#1a1a1a" stroke-width="3" stroke-dasharray="8 5"/>
    <path d="M36 38 Q36 24 48 24 Q60 24 60 36 Q60 44 50 48 Q48 49 48 56" fill="none" stroke="#1a1a1a" stroke-width="6" stroke-linecap="round"/>
    <circle cx="48" cy="70" r="4.5" fill="#1a1a1a"/>
  </svg>`;
}

// Read aloud where the browser can; silently do nothing where no voice is installed.
export function speak(text) {
  try {
    const synth = window.speechSynthesis;
    if (!synth || typeof SpeechSynthesisUtterance === "undefined") return false;
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "en-GB";
    utterance.rate = 0.9;
    synth.speak(utterance);
    return true;
  } catch {
    return false;
  }
}

export function speakerIcon() {
  return svg`<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" class="icon">
    <path d="M3 9 H7 L12 5 V19 L7 15 H3 Z" fill="currentColor"/>
    <path d="M15.5 8.5 Q18 12 15.5 15.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
    <path d="M18 6 Q22 12 18 18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
  </svg>`;
}

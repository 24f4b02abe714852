// One picture set for every 1–5 scale the person answers: progress (reviews) and mood (weekly
// checks). High contrast; the meaning is carried by shape, number and word, never by colour alone.
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
};

// Five steps; the person stands on step n; step 5 has a flag.
function progressPicture(n) {
  const steps = [1, 2, 3, 4, 5].map((i) => svg`<rect x=${8 + (i - 1) * 16} y=${86 - i * 12} width="16" height=${i * 12}
      fill=${i <= n ? "#0b5d57" : "#ffffff"} stroke="#1a1a1a" stroke-width="2"/>`);
  const x = 16 + (n - 1) * 16;
  const y = 86 - n * 12;
  return svg`<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false" class="picture">
    ${steps}
    <line x1="88" y1="26" x2="88" y2="4" stroke="#1a1a1a" stroke-width="2"/>
    <path d="M88 4 L74 9 L88 14 Z" fill=${n === 5 ? "#1a1a1a" : "#ffffff"} stroke="#1a1a1a" stroke-width="2"/>
    <circle cx=${x} cy=${y - 20} r="5" fill="#1a1a1a"/>
    <line x1=${x} y1=${y - 15} x2=${x} y2=${y - 6} stroke="#1a1a1a" stroke-width="3"/>
    <line x1=${x} y1=${y - 6} x2=${x - 4} y2=${y} stroke="#1a1a1a" stroke-width="3"/>
    <line x1=${x} y1=${y - 6} x2=${x + 4} y2=${y} stroke="#1a1a1a" stroke-width="3"/>
    ${n === 5 ? svg`<line x1=${x} y1=${y - 12} x2=${x + 6} y2=${y - 20} stroke="#1a1a1a" stroke-width="3"/><line x1=${x} y1=${y - 12} x2=${x - 6} y2=${y - 20} stroke="#1a1a1a" stroke-width="3"/>` : ""}
  </svg>`;
}

// Faces from very sad to very happy: the mouth's curve and the eyebrows carry the meaning.
function moodPicture(n) {
  const curve = { 1: -14, 2: -7, 3: 0, 4: 8, 5: 15 }[n];
  return svg`<svg viewBox="0 0 96 96" aria-hidden="true" focusable="false" class="picture">
    <circle cx="48" cy="48" r="42" fill="#fff7cc" stroke="#1a1a1a" stroke-width="3"/>
    <circle cx="34" cy="40" r="5" fill="#1a1a1a"/><circle cx="62" cy="40" r="5" fill="#1a1a1a"/>
    ${n === 1 ? svg`<line x1="26" y1="28" x2="40" y2="32" stroke="#1a1a1a" stroke-width="3"/><line x1="70" y1="28" x2="56" y2="32" stroke="#1a1a1a" stroke-width="3"/>` : ""}
    <path d=${`M30 ${66 - curve / 2} Q48 ${66 + curve} 66 ${66 - curve / 2}`} fill="none" stroke="#1a1a1a" stroke-width="4" stroke-linecap="round"/>
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

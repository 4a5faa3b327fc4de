/**
 * The audible half of a fever alarm: a two-tone beep every second until silenced. Browsers only
 * let a page make sound after the user touched it, so the audio context is created on the first
 * click or key press (the login counts); until then `soundBlocked()` says so and the board asks
 * the guard to click once.
 */

let ctx: AudioContext | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
const listeners = new Set<() => void>();

function unlock(): void {
  if (!ctx) {
    try {
      ctx = new AudioContext();
    } catch {
      return;
    }
  }
  if (ctx.state === 'suspended') void ctx.resume().then(notify, () => {});
  else notify();
}

function notify(): void {
  for (const fn of listeners) fn();
}

export function installAudioUnlock(): void {
  window.addEventListener('pointerdown', unlock, { capture: true });
  window.addEventListener('keydown', unlock, { capture: true });
}

export function soundBlocked(): boolean {
  return ctx?.state !== 'running';
}

export function onSoundStateChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function beep(): void {
  if (ctx?.state !== 'running') return;
  const now = ctx.currentTime;
  for (const [i, freq] of [988, 784].entries()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = freq;
    const t0 = now + i * 0.22;
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + 0.21);
  }
}

/** Starts or stops the beep loop; idempotent. */
export function setAlarmSound(on: boolean): void {
  if (on && !timer) {
    beep();
    timer = setInterval(beep, 1000);
  } else if (!on && timer) {
    clearInterval(timer);
    timer = null;
  }
}

export function alarmSounding(): boolean {
  return timer !== null;
}

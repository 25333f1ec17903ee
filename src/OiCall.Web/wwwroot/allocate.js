// 시간분배: the slider, (−)/(+) and the typed box show one number; the typed box is what is sent.
(() => {
  const form = document.getElementById('allocate-form');
  if (!form) return;
  const range = form.querySelector('input[type=range]');
  const typed = document.getElementById('minutes-typed');
  // The 0 mark: where zero lies between the ends (reclaim all … give all), as a fraction of the track.
  const span = Number(range.max) - Number(range.min);
  range.closest('.slider').style.setProperty('--zero', String(span === 0 ? 0.5 : -Number(range.min) / span));
  const clamp = value => Math.max(Number(range.min), Math.min(Number(range.max), value));
  const set = value => {
    range.value = String(value);
    typed.value = String(value);
  };
  range.addEventListener('input', () => { typed.value = range.value; });
  // A typed number moves the slider as it is typed; out of range, the browser says so on 적용.
  typed.addEventListener('input', () => {
    const value = Math.trunc(Number(typed.value));
    if (typed.value !== '' && Number.isFinite(value)) range.value = String(clamp(value));
  });
  form.querySelectorAll('button[data-step]').forEach(button => button.addEventListener('click', () => {
    set(clamp(Math.trunc(Number(typed.value) || 0) + Number(button.dataset.step)));
  }));
})();

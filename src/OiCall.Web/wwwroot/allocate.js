// 시간분배: the slider shows its minutes as it moves; (−) and (+) move it five minutes at a time.
(() => {
  const form = document.getElementById('allocate-form');
  if (!form) return;
  const range = form.querySelector('input[type=range]');
  const out = document.getElementById('minutes-out');
  const show = () => { out.textContent = range.value; };
  range.addEventListener('input', show);
  form.querySelectorAll('button[data-step]').forEach(button => button.addEventListener('click', () => {
    const next = Number(range.value) + Number(button.dataset.step);
    range.value = String(Math.max(Number(range.min), Math.min(Number(range.max), next)));
    show();
  }));
  show();
})();

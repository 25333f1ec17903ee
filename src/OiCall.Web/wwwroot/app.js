// Installable app (STEP 1): the service worker lets a phone add OiCall to its home screen.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => { /* not fatal: the site works without it */ });
  });
}

// A button that may be used again after a wait (인증번호 다시 받기): disabled, counting down, then enabled.
document.querySelectorAll('button[data-countdown]').forEach(button => {
  const label = button.textContent;
  let left = Number(button.dataset.countdown);
  const tick = () => {
    button.disabled = left > 0;
    button.textContent = left > 0 ? `${label} (${left})` : label;
    if (left-- > 0) setTimeout(tick, 1000);
  };
  tick();
});

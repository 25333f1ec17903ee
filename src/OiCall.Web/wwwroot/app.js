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

// A file over its field's limit is refused before a phone spends minutes sending it: the message
// shows under the field (the server refuses it too, with the same words).
document.querySelectorAll('input[type=file][data-max-bytes]').forEach(input => {
  input.form.addEventListener('submit', event => {
    const file = input.files && input.files[0];
    if (!file || file.size <= Number(input.dataset.maxBytes)) return;
    event.preventDefault();
    // One message at a time: an earlier one in this form goes.
    input.form.querySelectorAll('[role=alert]').forEach(old => old.remove());
    const message = document.createElement('p');
    message.className = 'message error';
    message.setAttribute('role', 'alert');
    message.textContent = input.dataset.tooLarge;
    input.insertAdjacentElement('afterend', message);
  });
});

// The installed app's back button goes back where there is somewhere to go, else home (its href).
document.querySelectorAll('a[data-back]').forEach(link => link.addEventListener('click', event => {
  if (history.length > 1) {
    event.preventDefault();
    history.back();
  }
}));

// A form that must not be sent twice (쿠폰 발행): the button goes quiet once pressed. The server
// also answers a repeat with the first result.
document.querySelectorAll('form[data-submit-once]').forEach(form => form.addEventListener('submit', () => {
  form.querySelectorAll('button[type=submit]').forEach(button => { button.disabled = true; });
}));

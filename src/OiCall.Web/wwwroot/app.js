// Installable app (STEP 1): the service worker lets a phone add OiCall to its home screen.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => { /* not fatal: the site works without it */ });
  });
}

// 연락처에서 선택하기: where the browser has the Contact Picker API (Chrome on Android), let the
// admin pick people from the phone's contacts; their names and numbers go to the preview as lines.
(() => {
  const button = document.getElementById('pick-contacts');
  const form = document.getElementById('contacts-form');
  if (!button || !form || !('contacts' in navigator) || !('ContactsManager' in window)) return;
  button.hidden = false;
  const note = document.getElementById('no-contact-picker');
  if (note) note.hidden = true;
  button.addEventListener('click', async () => {
    try {
      const picked = await navigator.contacts.select(['name', 'tel'], { multiple: true });
      const lines = picked.flatMap(c => (c.tel && c.tel.length ? [`${(c.name && c.name[0]) || ''}\t${c.tel[0]}`] : []));
      if (lines.length === 0) return;
      form.querySelector('textarea[name="Pasted"]').value = lines.join('\n');
      form.requestSubmit();
    } catch { /* the person closed the picker */ }
  });
})();

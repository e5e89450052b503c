// Baraza web chat. Plain script, no build step, no inline code (CSP
// default-src 'self'). Each action is one POST whose JSON answer carries the
// bot's reply; a failed POST is retried with the same nonce.
'use strict';
(() => {
  const api = document.body.dataset.api;
  const log = document.getElementById('log');
  const notice = document.getElementById('notice');
  const form = document.getElementById('compose');
  const input = document.getElementById('input');
  const stopButton = document.getElementById('stop');

  const strings = {
    en: {
      stop: 'Stop and erase', send: 'Send', answer: 'Your answer', type: 'Type your answer',
      conversation: 'Conversation', you: 'You:',
      about: 'Anonymous consultation. Your name is not asked and this page keeps nothing after you stop.',
      retrying: 'Connection problem. Trying again…', failed: 'That could not be sent.'
    },
    fr: {
      stop: 'Arrêter et effacer', send: 'Envoyer', answer: 'Votre réponse', type: 'Écrivez votre réponse',
      conversation: 'Conversation', you: 'Vous :',
      about: 'Consultation anonyme. Votre nom n’est pas demandé et cette page ne garde rien après l’arrêt.',
      retrying: 'Problème de connexion. Nouvel essai…', failed: 'Impossible d’envoyer.'
    },
    ar: {
      stop: 'توقف وامسح', send: 'إرسال', answer: 'إجابتك', type: 'اكتب إجابتك',
      conversation: 'المحادثة', you: 'أنت:',
      about: 'استشارة مجهولة الهوية. لا يُطلب اسمك ولا تحتفظ هذه الصفحة بشيء بعد التوقف.',
      retrying: 'مشكلة في الاتصال. إعادة المحاولة…', failed: 'تعذر الإرسال.'
    }
  };
  const uiLang = (navigator.language || 'en').slice(0, 2).toLowerCase();
  const ui = strings[uiLang] || strings.en;
  if (strings[uiLang]) {
    document.documentElement.lang = uiLang;
    document.documentElement.dir = uiLang === 'ar' ? 'rtl' : 'ltr';
  }
  document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = ui[el.dataset.i18n]; });
  document.querySelectorAll('[data-i18n-label]').forEach(el => { el.setAttribute('aria-label', ui[el.dataset.i18nLabel]); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach(el => { el.placeholder = ui[el.dataset.i18nPlaceholder]; });

  let localeSent = false;
  let queue = Promise.resolve();
  let noticeTimer = 0;

  function nonce() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }

  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

  // post sends one action until the server takes it: network failures and
  // 5xx (503 "retry" when the bot's store is away) are retried with the same
  // nonce; the server de-duplicates.
  async function post(payload) {
    const body = JSON.stringify(payload);
    let delay = 500;
    for (;;) {
      let res = null;
      try {
        res = await fetch(api, {
          method: 'POST', body, cache: 'no-store', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' }
        });
      } catch (e) {
        res = null;
      }
      if (res && res.ok) {
        if (notice.dataset.kind === 'retry') showNotice('');
        return res.json();
      }
      if (res && res.status < 500) {
        throw new Error('refused: ' + res.status);
      }
      showNotice(ui.retrying, 'retry');
      await sleep(delay);
      delay = Math.min(delay * 2, 10000);
    }
  }

  // act queues one action; actions go out one at a time, in order.
  function act(payload, ctx) {
    payload.id = nonce();
    if (!localeSent && navigator.language) {
      payload.locale = navigator.language;
      localeSent = true;
    }
    queue = queue
      .then(() => post(payload))
      .then(reply => render(reply, ctx || {}))
      .catch(() => showNotice(ui.failed));
    return queue;
  }

  function showNotice(text, kind) {
    clearTimeout(noticeTimer);
    notice.textContent = text;
    notice.dataset.kind = kind || '';
    if (text && kind !== 'retry') {
      noticeTimer = setTimeout(() => { notice.textContent = ''; }, 6000);
    }
  }

  function clearLog() {
    log.replaceChildren();
  }

  function addUser(text) {
    const li = document.createElement('li');
    li.className = 'msg me';
    const who = document.createElement('span');
    who.className = 'sr-only';
    who.textContent = ui.you + ' ';
    const p = document.createElement('p');
    p.className = 'text';
    p.dir = 'auto';
    p.textContent = text;
    li.append(who, p);
    log.append(li);
    li.scrollIntoView({ block: 'end' });
  }

  // fill draws a bot message's text, image and buttons into li.
  function fill(li, m, toggles) {
    li.replaceChildren();
    if (m.lang) li.lang = m.lang; else li.removeAttribute('lang');
    li.dir = m.dir || 'auto';
    const p = document.createElement('p');
    p.className = 'text';
    p.textContent = m.text;
    li.append(p);
    if (m.image) {
      const img = document.createElement('img');
      img.src = m.image;
      img.alt = m.image_name || '';
      img.className = 'image';
      li.append(img);
    }
    const buttons = m.buttons || [];
    if (buttons.length === 0) return;
    const isToggle = toggles || buttons.some(b => b.selected || b.toggle);
    const answers = document.createElement('div');
    answers.className = 'buttons';
    answers.setAttribute('role', 'group');
    const nav = document.createElement('div');
    nav.className = 'buttons nav';
    for (const b of buttons) {
      const el = document.createElement('button');
      el.type = 'button';
      el.textContent = b.label;
      el.dataset.data = b.data;
      el.className = b.nav ? 'nav-button' : 'choice';
      if (isToggle && !b.nav) el.setAttribute('aria-pressed', b.selected ? 'true' : 'false');
      el.addEventListener('click', () => act({ data: b.data, ref: li.dataset.id }, { li, data: b.data }));
      (b.nav ? nav : answers).append(el);
    }
    if (answers.childElementCount) li.append(answers);
    if (nav.childElementCount) li.append(nav);
  }

  function addBot(m) {
    const li = document.createElement('li');
    li.className = 'msg bot';
    li.dataset.id = m.id;
    fill(li, m, false);
    log.append(li);
    return li;
  }

  // render shows the bot's reply to one action and moves focus to the
  // first new button, or back to the text box.
  function render(r, ctx) {
    if (r.erase) clearLog();
    if (r.reset) localeSent = false;
    let focus = null;
    let last = null;
    for (const m of r.messages || []) {
      if (m.replace_buttons && ctx.li && ctx.li.isConnected) {
        fill(ctx.li, m, true);
        last = ctx.li;
        if (!focus) {
          focus = Array.from(ctx.li.querySelectorAll('button')).find(b => b.dataset.data === ctx.data) || null;
        }
        continue;
      }
      const li = addBot(m);
      last = li;
      if (!focus) focus = li.querySelector('button');
    }
    if (r.notice) showNotice(r.notice);
    if (last) last.scrollIntoView({ block: 'end' });
    (focus || input).focus({ preventScroll: true });
  }

  form.addEventListener('submit', e => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    addUser(text);
    act({ text });
  });

  stopButton.addEventListener('click', () => {
    // Clear at once: the person may be in danger; the server erases its side.
    clearLog();
    input.value = '';
    showNotice('');
    history.replaceState(null, '', location.pathname);
    act({ command: 'stop' });
  });

  const c = new URLSearchParams(location.search).get('c');
  act(c ? { command: 'start', arg: c } : { command: 'start' });
})();

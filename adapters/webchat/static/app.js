// Baraza web chat. Plain script, no build step, no inline code (CSP
// default-src 'self'). Each action is one POST whose JSON answer carries the
// bot's reply; a failed POST is retried with the same nonce.
//
// Keyboard: only the newest question's controls take focus. Its answers
// (and Back/Skip) are one toolbar — one Tab stop, arrow keys move inside
// it — and Done is its own primary button; Send is left out of the Tab
// order because Enter sends. So Stop and Quick exit, at the top, are at
// most three Tab presses away from anywhere.
'use strict';
(() => {
  const body = document.body;
  const api = body.dataset.api;
  const exitURL = body.dataset.exit;
  const log = document.getElementById('log');
  const notice = document.getElementById('notice');
  const form = document.getElementById('compose');
  const input = document.getElementById('input');
  const ended = document.getElementById('ended');

  const strings = {
    en: {
      stop: 'Stop and erase', exit: 'Quick exit', report: 'Report an incident', send: 'Send',
      answer: 'Your answer', type: 'Type your answer', send_hint: 'Press Enter to send.',
      conversation: 'Conversation', you: 'You:', chose: 'You chose: ',
      about: 'Anonymous consultation. Your name is not asked and this page keeps nothing after you stop.',
      ended: 'Stopped. This conversation was erased.',
      ended_more: 'Nothing of it is kept on this page or by us. You can start again, or leave.',
      again: 'Start again',
      retrying: 'Connection problem. Trying again…', failed: 'That could not be sent.'
    },
    fr: {
      stop: 'Arrêter et effacer', exit: 'Sortie rapide', report: 'Signaler un incident', send: 'Envoyer',
      answer: 'Votre réponse', type: 'Écrivez votre réponse', send_hint: 'Appuyez sur Entrée pour envoyer.',
      conversation: 'Conversation', you: 'Vous :', chose: 'Vous avez choisi : ',
      about: 'Consultation anonyme. Votre nom n’est pas demandé et cette page ne garde rien après l’arrêt.',
      ended: 'Arrêté. Cette conversation a été effacée.',
      ended_more: 'Rien n’en est gardé, ni sur cette page ni chez nous. Vous pouvez recommencer, ou partir.',
      again: 'Recommencer',
      retrying: 'Problème de connexion. Nouvel essai…', failed: 'Impossible d’envoyer.'
    },
    ar: {
      stop: 'توقف وامسح', exit: 'خروج سريع', report: 'الإبلاغ عن حادثة', send: 'إرسال',
      answer: 'إجابتك', type: 'اكتب إجابتك', send_hint: 'اضغط Enter للإرسال.',
      conversation: 'المحادثة', you: 'أنت:', chose: 'اخترت: ',
      about: 'استشارة مجهولة الهوية. لا يُطلب اسمك ولا تحتفظ هذه الصفحة بشيء بعد التوقف.',
      ended: 'تم الإيقاف. مُسحت هذه المحادثة.',
      ended_more: 'لا يُحفظ منها شيء، لا في هذه الصفحة ولا لدينا. يمكنك البدء من جديد أو المغادرة.',
      again: 'ابدأ من جديد',
      retrying: 'مشكلة في الاتصال. إعادة المحاولة…', failed: 'تعذر الإرسال.'
    }
  };
  let ui = strings.en;

  // setLanguage shows the page's own words in lang and lays the page out
  // in its direction; a language the page does not know leaves it as is.
  function setLanguage(lang) {
    const base = (lang || '').slice(0, 2).toLowerCase();
    if (!strings[base]) return;
    ui = strings[base];
    document.documentElement.lang = base;
    document.documentElement.dir = base === 'ar' ? 'rtl' : 'ltr';
    document.querySelectorAll('[data-i18n]').forEach(el => { el.textContent = ui[el.dataset.i18n]; });
    document.querySelectorAll('[data-i18n-label]').forEach(el => { el.setAttribute('aria-label', ui[el.dataset.i18nLabel]); });
    document.querySelectorAll('[data-i18n-placeholder]').forEach(el => { el.placeholder = ui[el.dataset.i18nPlaceholder]; });
  }
  setLanguage(navigator.language || 'en');

  // The header (quick exit, stop) and the footer (the text box) stay on
  // screen; whatever is scrolled to or focused must not end up under them
  // (WCAG 2.4.11, focus not obscured). Their height changes with the
  // language (Arabic labels wrap into a third row on a phone) and the
  // width, so the scroll padding follows their measured height.
  const bar = document.querySelector('.bar');
  const foot = document.querySelector('.foot');
  function padScroll() {
    const root = document.documentElement.style;
    root.scrollPaddingTop = (bar.offsetHeight + 12) + 'px';
    root.scrollPaddingBottom = (foot.offsetHeight + 12) + 'px';
  }
  padScroll();
  if (window.ResizeObserver) {
    const ro = new ResizeObserver(padScroll);
    ro.observe(bar);
    ro.observe(foot);
  } else {
    addEventListener('resize', padScroll);
  }

  // The consultation this page was opened for, kept in memory only so
  // "Start again" can reopen it. The address loses it at once: ?c= may be a
  // one-time invite code, and the browser's history must not keep it (nor
  // show anyone who picks up the phone which consultation was opened).
  const consultation = new URLSearchParams(location.search).get('c');
  if (consultation !== null) history.replaceState(null, '', location.pathname);
  let localeSent = false;
  let inSession = false;
  let queue = Promise.resolve();
  let noticeTimer = 0;
  let seq = 0;

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

  // addUser shows what the person did: typed text, or "You chose: …".
  function addUser(text, chose) {
    const li = document.createElement('li');
    li.className = 'msg me';
    const who = document.createElement('span');
    who.className = 'sr-only';
    who.textContent = ui.you + ' ';
    const p = document.createElement('p');
    p.className = 'text';
    if (chose) {
      const lead = document.createElement('span');
      lead.className = 'chose';
      lead.textContent = ui.chose;
      const what = document.createElement('bdi');
      what.textContent = text;
      p.append(lead, what);
    } else {
      p.dir = 'auto'; // whatever the person typed, in whatever script
      p.textContent = text;
    }
    li.append(who, p);
    log.append(li);
    li.scrollIntoView({ block: 'end' });
  }

  // scaleLabels reads "(1 = very unsafe, 5 = very safe)" in a question's
  // text: the words of a scale's ends, keyed by number.
  function scaleLabels(text) {
    const out = {};
    for (const m of text.matchAll(/(\d+)\s*=\s*([^,،;)\n]+)/g)) out[m[1]] = m[2].trim();
    return out;
  }

  // roving makes a toolbar's buttons one Tab stop: arrow keys, Home and
  // End move between them.
  function roving(bar) {
    const items = () => Array.from(bar.querySelectorAll('button'));
    items().forEach((b, i) => { b.tabIndex = i === 0 ? 0 : -1; });
    bar.addEventListener('focusin', e => {
      if (e.target.tagName !== 'BUTTON') return;
      items().forEach(b => { b.tabIndex = b === e.target ? 0 : -1; });
    });
    bar.addEventListener('keydown', e => {
      const list = items();
      const i = list.indexOf(document.activeElement);
      if (i < 0) return;
      const rtl = getComputedStyle(bar).direction === 'rtl';
      let j = -1;
      switch (e.key) {
        case 'ArrowDown': j = i + 1; break;
        case 'ArrowUp': j = i - 1; break;
        case 'ArrowRight': j = rtl ? i - 1 : i + 1; break;
        case 'ArrowLeft': j = rtl ? i + 1 : i - 1; break;
        case 'Home': j = 0; break;
        case 'End': j = list.length - 1; break;
        default: return;
      }
      e.preventDefault();
      list[(j + list.length) % list.length].focus();
    });
  }

  // retire takes an answered message's buttons out of the way: they stay
  // visible, dimmed, but no longer take focus or clicks.
  function retire(li) {
    li.querySelectorAll('.answers, .primary-row').forEach(el => {
      el.inert = true;
      el.classList.add('retired');
    });
  }

  // fill draws a bot message's text, image and buttons into li.
  function fill(li, m, toggles) {
    li.replaceChildren();
    if (m.lang) li.lang = m.lang; else li.removeAttribute('lang');
    li.dir = m.dir || 'auto';
    const p = document.createElement('p');
    p.className = 'text';
    p.id = 'm' + (++seq);
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
    li.classList.toggle('asks', buttons.length > 0);
    if (buttons.length === 0) return;
    const isToggle = toggles || buttons.some(b => b.selected || b.toggle);
    const answersOnly = buttons.filter(b => !b.nav);
    const isScale = answersOnly.length > 1 && answersOnly.every(b => /^\d+$/.test(b.label));
    const ends = isScale ? scaleLabels(m.text) : {};
    const bar = document.createElement('div');
    bar.className = 'answers';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-labelledby', p.id);
    const choices = document.createElement('div');
    choices.className = 'buttons' + (isScale ? ' scale' : '');
    const nav = document.createElement('div');
    nav.className = 'buttons nav';
    let primary = null;
    for (const b of buttons) {
      const el = document.createElement('button');
      el.type = 'button';
      el.dataset.data = b.data;
      let echo = b.label;
      if (b.nav) {
        el.textContent = b.label;
        // In a multi-select, the first navigation button submits (Done):
        // it is the primary action and looks it.
        if (isToggle && !primary) {
          primary = el;
          el.className = 'primary done';
        } else {
          el.className = 'nav-button';
        }
      } else {
        el.className = 'choice';
        const num = document.createElement('span');
        num.className = 'label';
        num.textContent = b.label;
        el.append(num);
        if (ends[b.label]) {
          const end = document.createElement('span');
          end.className = 'end';
          end.textContent = ends[b.label];
          el.append(end);
          echo = b.label + ' (' + ends[b.label] + ')';
        }
        if (isToggle) el.setAttribute('aria-pressed', b.selected ? 'true' : 'false');
      }
      el.addEventListener('click', () => press(li, b, el, isToggle, echo));
      if (el === primary) continue;
      (b.nav ? nav : choices).append(el);
    }
    if (choices.childElementCount) bar.append(choices);
    if (nav.childElementCount) bar.append(nav);
    if (bar.childElementCount) li.append(bar);
    roving(bar);
    if (primary) {
      const row = document.createElement('div');
      row.className = 'primary-row';
      row.append(primary);
      li.append(row);
    }
  }

  // press sends a button's action and says what was chosen.
  function press(li, b, el, isToggle, echo) {
    if (/:l[a-z]{2}$/.test(b.data)) setLanguage(b.data.slice(-2));
    if (!b.nav && !isToggle) {
      addUser(echo, true);
    } else if (el.classList.contains('done')) {
      const picked = Array.from(li.querySelectorAll('.choice[aria-pressed="true"] .label')).map(s => s.textContent);
      if (picked.length) addUser(picked.join(', '), true);
    }
    act({ data: b.data, ref: li.dataset.id }, { li, data: b.data });
  }

  // setCompose shows the text box only when typing is what the question
  // asks for (a question with answer buttons takes the buttons).
  function setCompose(show) {
    form.hidden = !show;
  }

  function addBot(m) {
    const li = document.createElement('li');
    li.className = 'msg bot';
    li.dataset.id = m.id;
    fill(li, m, false);
    log.append(li);
    return li;
  }

  function showEnded(show) {
    ended.hidden = !show;
    if (show) setCompose(false);
  }

  // render shows the bot's reply to one action and moves focus to the
  // new question's first button, or to the text box.
  function render(r, ctx) {
    if (r.erase) clearLog();
    if (r.reset) localeSent = false;
    if (ctx.stop) {
      // The end state is the page's own; the bot says nothing after /stop.
      inSession = false;
      return;
    }
    let focus = null;
    let last = null;
    let asks = false;
    for (const m of r.messages || []) {
      if (m.lang) setLanguage(m.lang);
      if (m.replace_buttons && ctx.li && ctx.li.isConnected) {
        fill(ctx.li, m, true);
        last = ctx.li;
        asks = true;
        if (!focus) {
          focus = Array.from(ctx.li.querySelectorAll('button')).find(b => b.dataset.data === ctx.data) || null;
        }
        continue;
      }
      log.querySelectorAll('li.bot').forEach(retire);
      const li = addBot(m);
      last = li;
      asks = (m.buttons || []).some(b => !b.nav);
      // A question answered by typing takes focus in the text box, below.
      if (!focus && asks) focus = li.querySelector('.answers button[tabindex="0"], .primary-row button');
    }
    if ((r.messages || []).length) inSession = true;
    if (last) setCompose(!asks && ended.hidden);
    if (r.notice) showNotice(r.notice);
    if (last) {
      // A message that fits between the header and the footer is shown
      // whole, at the bottom; a taller one (a long list of options on a
      // phone) from its start, so the question and the focused first
      // option are not scrolled away under the header.
      const room = innerHeight - bar.offsetHeight - foot.offsetHeight - 24;
      last.scrollIntoView({ block: last.offsetHeight > room ? 'start' : 'end' });
    }
    const target = focus || (form.hidden ? null : input);
    if (target) {
      target.focus({ preventScroll: true });
      // The control that has focus must be seen (WCAG 2.4.11): when the
      // message's start and its first option do not both fit, the option
      // wins, and the question is a short scroll up.
      const r = target.getBoundingClientRect();
      if (r.top < bar.offsetHeight || r.bottom > innerHeight - foot.offsetHeight) {
        target.scrollIntoView({ block: 'nearest' });
      }
    }
  }

  form.addEventListener('submit', e => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    addUser(text, false);
    act({ text });
  });

  // stop erases the page at once — the person may be in danger — and asks
  // the server to erase its side.
  function stop() {
    clearLog();
    input.value = '';
    showNotice('');
    history.replaceState(null, '', location.pathname);
    showEnded(true);
    inSession = false;
    return act({ command: 'stop' }, { stop: true });
  }

  document.getElementById('stop').addEventListener('click', () => {
    stop();
    document.getElementById('ended-h').focus();
  });

  // Quick exit: erase, tell the server to erase (the request outlives the
  // page), and open a neutral page in place of this one, so Back does not
  // return here.
  document.getElementById('exit').addEventListener('click', () => {
    clearLog();
    input.value = '';
    document.title = '';
    try {
      fetch(api, {
        method: 'POST', keepalive: true, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: nonce(), command: 'stop' })
      }).catch(() => {});
    } catch (e) { /* leaving anyway */ }
    location.replace(exitURL);
  });

  document.getElementById('again').addEventListener('click', () => {
    showEnded(false);
    clearLog();
    act(consultation ? { command: 'start', arg: consultation } : { command: 'start' });
  });

  // Report an incident: a report is its own conversation, so a
  // consultation in progress is stopped (and erased) first.
  document.getElementById('report').addEventListener('click', () => {
    if (inSession) stop();
    showEnded(false);
    clearLog();
    act({ command: 'report' });
  });

  act(consultation ? { command: 'start', arg: consultation } : { command: 'start' });
})();

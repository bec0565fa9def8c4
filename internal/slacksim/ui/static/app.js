/* Trellis sandbox: act as any person of the emulated Slack workspace.
 *
 * Plain JavaScript, no build step, nothing loaded from other hosts.
 * Sections, top to bottom:
 *   dom       tiny helpers that build DOM nodes (text is never parsed as HTML)
 *   api       every call to the emulator's control API; adjust field names here
 *   time      the emulator's clock and time-zone helpers
 *   text      emoji shortcodes and Slack mrkdwn → DOM nodes
 *   blockkit  the Block Kit renderer and modal state gathering
 *   app       state, polling, people, messages, home, modals, composer, clock
 */
(function () {
  'use strict';

  /* ------------------------------------------------------------------ dom */

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    add(el, children);
    return el;
  }

  function add(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  let uidN = 0;
  const uid = (p) => (p || 'el') + '-' + (++uidN);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
  const str = (x) => (x === undefined || x === null ? '' : String(x));

  function attrSel(name, value) {
    return '[' + name + '="' + (window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, '\\$&')) + '"]';
  }

  /* ------------------------------------------------------------------ api */

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body;
      this.network = status === 0;
    }
  }

  // list returns x if it is an array, else the first array found under keys.
  function list(x, ...keys) {
    if (Array.isArray(x)) return x;
    if (isObj(x)) for (const k of keys) if (Array.isArray(x[k])) return x[k];
    return [];
  }

  function dropEmpty(o) {
    const out = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') out[k] = v;
    return out;
  }

  // The emulator's control API. Every request and every response field the
  // page reads is here, so a renamed field is a one-line change.
  const api = {
    base: 'control/', // relative: the page and the API share an origin and a prefix

    async call(method, path, body) {
      const opts = { method, headers: { Accept: 'application/json' }, cache: 'no-store' };
      if (body !== undefined) {
        opts.headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
      let res;
      try {
        res = await fetch(this.base + path, opts);
      } catch (e) {
        throw new ApiError('cannot reach the emulator', 0, null);
      }
      const text = await res.text();
      let data = null;
      if (text) {
        try { data = JSON.parse(text); } catch (e) { data = null; }
      }
      if (!res.ok) {
        // Results that carry their own ok/status/error (command, actions,
        // submit) are returned to the caller, which shows the error.
        if (isObj(data) && 'ok' in data) return Object.assign({ status: res.status }, data);
        const msg = (isObj(data) && (data.error || data.message)) || text.trim() || res.statusText || 'HTTP ' + res.status;
        throw new ApiError(msg, res.status, data);
      }
      return data;
    },

    async info() {
      const d = (await this.call('GET', 'info')) || {};
      return {
        team_id: str(d.team_id), team_name: str(d.team_name), bot_user_id: str(d.bot_user_id),
        bot_id: str(d.bot_id), now: d.now, delivery: str(d.delivery),
        socket_connections: d.socket_connections, installed: d.installed,
      };
    },

    async people() {
      return list(await this.call('GET', 'people'), 'people', 'members', 'users')
        .filter(isObj)
        .map((p) => ({
          id: str(p.id), name: str(p.name), real_name: str(p.real_name || (p.profile && p.profile.real_name)),
          tz: str(p.tz), tz_label: str(p.tz_label), is_admin: !!p.is_admin, is_owner: !!p.is_owner,
          deleted: !!p.deleted, is_bot: !!p.is_bot,
          status_text: str(p.status_text), status_emoji: str(p.status_emoji),
          status_expiration: Number(p.status_expiration) || 0,
          dnd_enabled: !!p.dnd_enabled, dm: str(p.dm),
        }))
        .filter((p) => p.id);
    },

    async clock() { return normClock(await this.call('GET', 'clock')); },
    async setClock(rfc3339) { return normClock(await this.call('POST', 'clock', { set: rfc3339 })); },
    async advanceClock(duration) { return normClock(await this.call('POST', 'clock', { advance: duration })); },

    // → {ok, status, error, channel, response: {response_type, text, blocks}}
    async command(user, text, channel) {
      const d = (await this.call('POST', 'command', dropEmpty({ user, text, channel }))) || {};
      return {
        ok: d.ok !== false && !d.error, status: d.status, error: str(d.error), channel: str(d.channel),
        response: isObj(d.response) ? d.response : null,
      };
    },

    // The fields POST /control/actions accepts (it rejects unknown ones).
    actionFields: ['user', 'channel', 'message_ts', 'view_id', 'action_id', 'block_id', 'value',
      'selected_option', 'selected_options', 'selected_date', 'selected_time', 'selected_user',
      'selected_users', 'selected_channel', 'selected_channels', 'selected_conversation',
      'selected_conversations', 'selected_date_time', 'rich_text_value'],

    // body: {user, channel?, message_ts?, view_id?, action_id, block_id?, value?,
    // selected_option?, selected_options?, selected_date?, selected_time?, ...}
    async action(body) {
      const out = {};
      for (const k of this.actionFields) if (body[k] !== undefined && body[k] !== null) out[k] = body[k];
      const d = (await this.call('POST', 'actions', out)) || {};
      return { ok: d.ok !== false && !d.error, status: d.status, error: str(d.error), ack: d.ack };
    },

    async views(user) {
      return list(await this.call('GET', 'views?user=' + encodeURIComponent(user)), 'views').filter(isObj);
    },

    // → {ok, status, error, response_action, errors, views (undefined when absent)}
    async submitView(viewId, user, values) {
      return normSubmit(await this.call('POST', 'views/' + encodeURIComponent(viewId) + '/submit', { user, values }));
    },
    async closeView(viewId, user) {
      return normSubmit(await this.call('POST', 'views/' + encodeURIComponent(viewId) + '/close', { user }));
    },

    async home(user) { return normHome(await this.call('GET', 'home?user=' + encodeURIComponent(user))); },
    async openHome(user) {
      const d = await this.call('POST', 'home/open', { user });
      return { view: normHome(d), ok: !isObj(d) || d.ok !== false, error: isObj(d) ? str(d.error) : '' };
    },

    async conversations(user) {
      return list(await this.call('GET', 'conversations?user=' + encodeURIComponent(user)), 'conversations', 'channels')
        .filter(isObj)
        .map((c) => ({ id: str(c.id), kind: str(c.kind || (c.is_im ? 'im' : 'channel')), name: str(c.name), user: str(c.user),
          members: Array.isArray(c.members) ? c.members.map(str) : [] }))
        .filter((c) => c.id);
    },

    async messages(channel, user) {
      const path = 'conversations/' + encodeURIComponent(channel) + '/messages?as=' + encodeURIComponent(user);
      return list(await this.call('GET', path), 'messages').filter(isObj).filter((m) => m.ts);
    },

    async postMessage(user, channel, text) { return this.call('POST', 'messages', dropEmpty({ user, channel, text })); },
  };

  function normClock(d) {
    d = d || {};
    const t = Date.parse(d.now);
    return { now: isNaN(t) ? null : t, frozen: !!d.frozen, simulated: d.simulated !== false };
  }

  function normSubmit(d) {
    d = d || {};
    const errors = isObj(d.errors) ? d.errors : {};
    return {
      ok: d.ok !== false && !d.error, status: d.status, error: str(d.error),
      response_action: str(d.response_action), errors,
      views: Array.isArray(d.views) ? d.views.filter(isObj) : undefined,
    };
  }

  function normHome(d) {
    if (!isObj(d)) return null;
    if ('view' in d) return isObj(d.view) ? d.view : null;
    return d.id || d.blocks ? d : null;
  }

  /* ----------------------------------------------------------------- time */

  const clock = { now: null, at: 0, frozen: false, simulated: true };

  function setClock(c) {
    if (!c || c.now === null) return;
    clock.now = c.now;
    clock.at = performance.now();
    clock.frozen = c.frozen;
    clock.simulated = c.simulated;
  }

  // simNow is the emulator's now in ms, flowing between fetches unless frozen.
  function simNow() {
    if (clock.now === null) return Date.now();
    return clock.frozen ? clock.now : clock.now + (performance.now() - clock.at);
  }

  const fmtCache = new Map();
  function fmt(tz, opts) {
    const key = (tz || 'UTC') + JSON.stringify(opts);
    let f = fmtCache.get(key);
    if (!f) {
      try {
        f = new Intl.DateTimeFormat('en-GB', Object.assign({}, opts, { timeZone: tz || 'UTC' }));
      } catch (e) {
        f = new Intl.DateTimeFormat('en-GB', Object.assign({}, opts, { timeZone: 'UTC' }));
      }
      fmtCache.set(key, f);
    }
    return f;
  }

  function validTZ(tz) {
    if (!tz) return false;
    try { new Intl.DateTimeFormat('en-GB', { timeZone: tz }); return true; } catch (e) { return false; }
  }

  // parts gives the wall-clock fields of instant ms in tz.
  function parts(ms, tz) {
    const out = {};
    for (const p of fmt(tz, {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      second: '2-digit', weekday: 'short', hourCycle: 'h23',
    }).formatToParts(new Date(ms))) out[p.type] = p.value;
    return {
      year: +out.year, month: +out.month, day: +out.day, hour: +out.hour % 24,
      minute: +out.minute, second: +out.second, weekday: out.weekday,
    };
  }

  const pad = (n, w) => String(n).padStart(w || 2, '0');
  const hhmm = (ms, tz) => { const p = parts(ms, tz); return pad(p.hour) + ':' + pad(p.minute); };
  const dayKey = (ms, tz) => { const p = parts(ms, tz); return p.year + '-' + pad(p.month) + '-' + pad(p.day); };
  const wallString = (ms, tz) => { const p = parts(ms, tz); return p.year + '-' + pad(p.month) + '-' + pad(p.day) + 'T' + pad(p.hour) + ':' + pad(p.minute); };

  // zonedToUTC turns a wall-clock time in tz into an instant (ms).
  function zonedToUTC(y, mo, d, hh, mi, tz) {
    const guess = Date.UTC(y, mo - 1, d, hh, mi);
    const offsetAt = (ms) => {
      const p = parts(ms, tz);
      return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
    };
    let t = guess - offsetAt(guess);
    t = guess - offsetAt(t);
    return t;
  }

  function parseWall(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s || '');
    return m ? m.slice(1).map(Number) : null;
  }

  function rfc3339(ms) { return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

  // tsMs turns a Slack ts ("1700000000.000100") into ms.
  function tsMs(ts) { return Math.floor(parseFloat(ts) * 1000); }

  // tsCmp orders Slack ts strings exactly.
  function tsCmp(a, b) {
    const [ai, af] = str(a).split('.');
    const [bi, bf] = str(b).split('.');
    const d = (parseInt(ai, 10) || 0) - (parseInt(bi, 10) || 0);
    if (d) return d;
    return (af || '').padEnd(6, '0').localeCompare((bf || '').padEnd(6, '0'));
  }

  /* ----------------------------------------------------------------- text */

  const EMOJI = {
    palm_tree: '🌴', desert_island: '🏝️', beach_with_umbrella: '🏖️', airplane: '✈️', face_with_thermometer: '🤒',
    thermometer: '🌡️', sneezing_face: '🤧', mask: '😷', face_with_head_bandage: '🤕', baby: '👶', baby_bottle: '🍼',
    no_entry: '⛔', no_entry_sign: '🚫', calendar: '📆', date: '📅', spiral_calendar_pad: '🗓️', spiral_calendar: '🗓️',
    earth_africa: '🌍', earth_americas: '🌎', earth_asia: '🌏', globe_with_meridians: '🌐', clock9: '🕘', clock1: '🕐',
    alarm_clock: '⏰', stopwatch: '⏱️', hourglass: '⌛', hourglass_flowing_sand: '⏳', zzz: '💤', sleeping: '😴',
    crescent_moon: '🌙', sunny: '☀️', sun_with_face: '🌞', house: '🏠', house_with_garden: '🏡', wave: '👋',
    white_check_mark: '✅', heavy_check_mark: '✔️', ballot_box_with_check: '☑️', x: '❌', warning: '⚠️',
    information_source: 'ℹ️', question: '❓', exclamation: '❗', bulb: '💡', memo: '📝', pencil: '📝', pencil2: '✏️',
    clipboard: '📋', pushpin: '📌', round_pushpin: '📍', dart: '🎯', chart_with_upwards_trend: '📈',
    chart_with_downwards_trend: '📉', bar_chart: '📊', tada: '🎉', rocket: '🚀', sparkles: '✨', star: '⭐', fire: '🔥',
    trophy: '🏆', muscle: '💪', seedling: '🌱', herb: '🌿', deciduous_tree: '🌳', coffee: '☕', books: '📚',
    speech_balloon: '💬', thought_balloon: '💭', busts_in_silhouette: '👥', bust_in_silhouette: '👤', handshake: '🤝',
    raised_hands: '🙌', pray: '🙏', clap: '👏', thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', ok_hand: '👌',
    point_right: '👉', point_left: '👈', eyes: '👀', lock: '🔒', unlock: '🔓', key: '🔑', shield: '🛡️', bell: '🔔',
    no_bell: '🔕', gear: '⚙️', wrench: '🔧', mag: '🔍', link: '🔗', envelope: '✉️', email: '📧', mailbox: '📫',
    inbox_tray: '📥', outbox_tray: '📤', wastebasket: '🗑️', red_circle: '🔴', large_green_circle: '🟢',
    large_yellow_circle: '🟡', large_blue_circle: '🔵', white_circle: '⚪', black_circle: '⚫', heart: '❤️',
    green_heart: '💚', blue_heart: '💙', yellow_heart: '💛', purple_heart: '💜', smile: '😄', smiley: '😃',
    slightly_smiling_face: '🙂', blush: '😊', grinning: '😀', joy: '😂', thinking_face: '🤔', wink: '😉', sob: '😭',
    confused: '😕', neutral_face: '😐', hospital: '🏥', car: '🚗', train: '🚆', new: '🆕', repeat: '🔁',
    arrows_counterclockwise: '🔄', arrow_right: '➡️', arrow_left: '⬅️', arrow_up: '⬆️', arrow_down: '⬇️',
    construction: '🚧', hammer_and_wrench: '🛠️', package: '📦', spiral_note_pad: '🗒️', notebook: '📓', ledger: '📒',
    page_facing_up: '📄', file_folder: '📁', open_file_folder: '📂', mega: '📣', loudspeaker: '📢', microphone: '🎤',
    headphones: '🎧', computer: '💻', iphone: '📱', telephone_receiver: '📞', seat: '💺', sunrise: '🌅',
    city_sunset: '🌆', umbrella: '☔', snowflake: '❄️', gift: '🎁', birthday: '🎂', balloon: '🎈', confetti_ball: '🎊',
    medal: '🏅', sports_medal: '🏅', first_place_medal: '🥇', compass: '🧭', world_map: '🗺️', jigsaw: '🧩',
    people_holding_hands: '🧑‍🤝‍🧑', family: '👪', teacher: '🧑‍🏫', ear: '👂', speaking_head_in_silhouette: '🗣️',
    hand: '✋', raised_hand: '✋', v: '✌️', heavy_plus_sign: '➕', heavy_minus_sign: '➖', hash: '#️⃣',
    one: '1️⃣', two: '2️⃣', three: '3️⃣', four: '4️⃣', five: '5️⃣', keycap_ten: '🔟', hundred: '💯', '100': '💯',
    moneybag: '💰', chart: '💹', scales: '⚖️', tent: '⛺', mountain: '⛰️', ocean: '🌊', tea: '🍵', pizza: '🍕',
    man: '👨', woman: '👩', technologist: '🧑‍💻', ghost: '👻', robot_face: '🤖', sleuth_or_spy: '🕵️', sunglasses: '😎',
    calendar_spiral: '🗓️', trellis: '🌿', mailbox_with_mail: '📬', soon: '🔜', double_vertical_bar: '⏸️',
    pause_button: '⏸️', mailbox_with_no_mail: '📭', mailbox_closed: '📪',
  };

  function emojify(s) {
    return str(s).replace(/:([a-z0-9_+'-]+):(?::skin-tone-\d:)?/g, (m, name) => EMOJI[name] || m);
  }

  function decodeEntities(s) {
    return str(s).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }

  function safeURL(u) {
    u = str(u).trim();
    return /^(https?:\/\/|mailto:)/i.test(u) ? u : '';
  }

  function link(url, label) {
    const href = safeURL(url);
    if (!href) return document.createTextNode(str(label || url));
    return h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'mk-link' }, label || url);
  }

  // plainRun appends decoded, emoji-converted text with bare URLs as links.
  function plainRun(s, frag) {
    const text = emojify(decodeEntities(s));
    const re = /https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      if (m.index > last) frag.append(text.slice(last, m.index));
      frag.append(link(m[0], m[0]));
      last = re.lastIndex;
    }
    if (last < text.length) frag.append(text.slice(last));
  }

  const INLINE = [
    { kind: 'code', re: /`([^`\n]+)`/ },
    { kind: 'angle', re: /<([^<>\n]+)>/ },
    { kind: 'strong', re: /(^|[^\p{L}\p{N}_*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}_*])/u, pre: true },
    { kind: 'em', re: /(^|[^\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/u, pre: true },
    { kind: 's', re: /(^|[^\p{L}\p{N}_~])~(?=\S)([^~\n]*?\S)~(?![\p{L}\p{N}_~])/u, pre: true },
  ];

  // inline turns one run of mrkdwn (no ``` blocks, no quotes) into nodes.
  function inline(s, depth) {
    depth = depth || 0;
    const frag = document.createDocumentFragment();
    let rest = str(s);
    while (rest) {
      let best = null;
      if (depth < 6) {
        for (const tok of INLINE) {
          const m = tok.re.exec(rest);
          if (!m) continue;
          const start = m.index + (tok.pre ? m[1].length : 0);
          if (!best || start < best.start) best = { tok, m, start, end: m.index + m[0].length };
        }
      }
      if (!best) { plainRun(rest, frag); break; }
      if (best.start > 0) plainRun(rest.slice(0, best.start), frag);
      const { tok, m } = best;
      if (tok.kind === 'code') frag.append(h('code', { class: 'mk-code' }, decodeEntities(m[1])));
      else if (tok.kind === 'angle') frag.append(angle(m[1]));
      else frag.append(h(tok.kind, null, inline(m[2], depth + 1)));
      rest = rest.slice(best.end);
    }
    return frag;
  }

  // angle renders Slack's <...> control sequences: mentions, links, dates.
  function angle(inner) {
    const bar = inner.indexOf('|');
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? decodeEntities(inner.slice(bar + 1)) : '';
    const c = target.charAt(0);
    if (c === '@') {
      const id = target.slice(1);
      const name = directory.personName(id) || label.replace(/^@/, '') || id;
      return h('span', { class: 'mk-mention' + (id === directory.me ? ' mk-mention-me' : ''), 'data-user-id': id }, '@' + name);
    }
    if (c === '#') {
      const id = target.slice(1);
      return h('span', { class: 'mk-mention mk-channel' }, '#' + (label || directory.channelName(id) || id));
    }
    if (c === '!') {
      const cmd = target.slice(1);
      if (cmd.startsWith('date^')) return slackDate(cmd, label);
      if (cmd.startsWith('subteam^')) return h('span', { class: 'mk-mention' }, label || '@team');
      if (cmd === 'here' || cmd === 'channel' || cmd === 'everyone') return h('span', { class: 'mk-mention mk-mention-me' }, '@' + cmd);
      return document.createTextNode(label || cmd);
    }
    const url = decodeEntities(target);
    if (safeURL(url)) return link(url, emojify(label) || url.replace(/^mailto:/i, ''));
    return document.createTextNode(label || decodeEntities('<' + inner + '>'));
  }

  const ORD = (n) => n + (n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th');

  // slackDate renders <!date^ts^{tokens}^link|fallback> in the viewer's zone.
  function slackDate(cmd, fallback) {
    const bits = cmd.split('^');
    const ms = Number(bits[1]) * 1000;
    if (!isFinite(ms) || !bits[2]) return document.createTextNode(fallback || '');
    const tz = directory.tz();
    const p = parts(ms, tz);
    const monthLong = fmt(tz, { month: 'long' }).format(ms);
    const monthShort = fmt(tz, { month: 'short' }).format(ms);
    const weekdayLong = fmt(tz, { weekday: 'long' }).format(ms);
    const date = monthLong + ' ' + ORD(p.day) + ', ' + p.year;
    const dateShort = monthShort + ' ' + p.day + ', ' + p.year;
    const dateLong = weekdayLong + ', ' + date;
    const today = dayKey(simNow(), tz);
    const key = dayKey(ms, tz);
    const rel = key === today ? 'today'
      : key === dayKey(simNow() - 864e5, tz) ? 'yesterday'
        : key === dayKey(simNow() + 864e5, tz) ? 'tomorrow' : '';
    const ago = () => {
      const s = Math.round((simNow() - ms) / 1000);
      const a = Math.abs(s);
      const [n, u] = a < 60 ? [a, 'second'] : a < 3600 ? [Math.round(a / 60), 'minute'] : a < 86400 ? [Math.round(a / 3600), 'hour'] : [Math.round(a / 86400), 'day'];
      const t = n + ' ' + u + (n === 1 ? '' : 's');
      return s >= 0 ? t + ' ago' : 'in ' + t;
    };
    const tokens = {
      date_num: p.year + '-' + pad(p.month) + '-' + pad(p.day),
      date_slash: pad(p.day) + '/' + pad(p.month) + '/' + p.year,
      date, date_short: dateShort, date_long: dateLong, date_long_full: dateLong,
      date_pretty: rel || date, date_short_pretty: rel || dateShort, date_long_pretty: rel || dateLong,
      day_divider_pretty: rel ? rel[0].toUpperCase() + rel.slice(1) : dateLong,
      time: pad(p.hour) + ':' + pad(p.minute), time_secs: pad(p.hour) + ':' + pad(p.minute) + ':' + pad(p.second),
      ago: ago(),
    };
    const text = bits[2].replace(/\{(\w+)\}/g, (m, k) => (k in tokens ? tokens[k] : m));
    const node = h('time', { class: 'mk-date', datetime: new Date(ms).toISOString(), title: fallback || undefined }, text);
    return bits[3] && safeURL(bits[3]) ? link(bits[3], text) : node;
  }

  // mrkdwn converts Slack mrkdwn into DOM nodes. Text only ever reaches the
  // page as text nodes, so nothing in it can become markup.
  function mrkdwn(text) {
    const frag = document.createDocumentFragment();
    const src = str(text);
    const re = /```([\s\S]*?)```/g;
    const chunks = [];
    let last = 0;
    let m;
    while ((m = re.exec(src))) {
      if (m.index > last) chunks.push({ kind: 'text', text: src.slice(last, m.index) });
      chunks.push({ kind: 'pre', text: m[1] });
      last = re.lastIndex;
    }
    if (last < src.length) chunks.push({ kind: 'text', text: src.slice(last) });

    // Split text chunks into quote and non-quote runs of lines.
    const runs = [];
    for (const c of chunks) {
      if (c.kind === 'pre') { runs.push(c); continue; }
      let cur = null;
      for (const line of c.text.split('\n')) {
        const q = /^(&gt;|>)\s?/.exec(line);
        const kind = q ? 'quote' : 'text';
        const body = q ? line.slice(q[0].length) : line;
        if (cur && cur.kind === kind) cur.lines.push(body);
        else { cur = { kind, lines: [body] }; runs.push(cur); }
      }
    }
    runs.forEach((r, i) => {
      if (r.kind === 'pre') {
        frag.append(h('pre', { class: 'mk-pre' }, decodeEntities(r.text.replace(/^\n/, '').replace(/\n$/, ''))));
        return;
      }
      let t = r.lines.join('\n');
      // A block element already breaks the line: drop one newline next to it.
      if (i > 0 && runs[i - 1].kind !== 'text') t = t.replace(/^\n/, '');
      if (i < runs.length - 1 && runs[i + 1].kind !== 'text') t = t.replace(/\n$/, '');
      if (r.kind === 'quote') frag.append(h('blockquote', { class: 'mk-quote' }, inline(t)));
      else if (t) frag.append(inline(t));
    });
    return frag;
  }

  /* ------------------------------------------------------------- blockkit */

  // directory answers the renderer's questions about the workspace.
  const directory = {
    people: [],
    byId: new Map(),
    convs: new Map(),
    me: '',
    botUserId: '',
    tz() { const p = this.byId.get(this.me); return (p && validTZ(p.tz) && p.tz) || 'UTC'; },
    personName(id) {
      const p = this.byId.get(id);
      if (p) return p.real_name || p.name || id;
      if (id && id === this.botUserId) return 'Trellis';
      return '';
    },
    channelName(id) { const c = this.convs.get(id); return c ? c.name : ''; },
    humans() { return this.people.filter((p) => !p.deleted && !p.is_bot && p.id !== this.botUserId && p.id !== 'USLACKBOT'); },
  };

  // stateOf maps a rendered stateful element to a function returning its
  // value in Slack's state.values shape, like {type, value}.
  const stateOf = new WeakMap();

  function textObj(t) {
    if (t === undefined || t === null) return document.createTextNode('');
    if (typeof t === 'string') return document.createTextNode(emojify(t));
    if (t.type === 'mrkdwn') return h('span', { class: 'mk' }, mrkdwn(t.text));
    return document.createTextNode(t.emoji === false ? str(t.text) : emojify(t.text));
  }

  function plainOf(t) {
    if (t === undefined || t === null) return '';
    if (typeof t === 'string') return t;
    return str(t.text);
  }

  function placeholderBlock(msg) {
    return h('div', { class: 'bk-placeholder' }, msg);
  }

  // renderBlocks renders a list of blocks. ctx: {surface: 'message'|'home'|
  // 'modal', act(payload, node), dirty: {block_id: {action_id: state}},
  // onDirty(block_id, action_id, state)}.
  function renderBlocks(blocks, ctx) {
    const frag = document.createDocumentFragment();
    for (const b of Array.isArray(blocks) ? blocks : []) {
      let node;
      try {
        node = renderBlock(b, ctx);
      } catch (e) {
        console.error('trellis sandbox: block', b, e);
        node = placeholderBlock('This block could not be shown (' + str(b && b.type) + ').');
      }
      if (node) frag.append(node);
    }
    return frag;
  }

  function renderBlock(b, ctx) {
    if (!isObj(b)) return placeholderBlock('Not a block.');
    const type = str(b.type);
    const wrap = h('div', { class: 'blk blk-' + (type.replace(/[^a-z_]/g, '') || 'unknown'), 'data-block-id': b.block_id, 'data-block-type': type });
    switch (type) {
      case 'header':
        wrap.append(h('div', { class: 'bk-header', role: 'heading', 'aria-level': '3' }, textObj(b.text)));
        break;
      case 'divider':
        wrap.append(h('hr', { class: 'bk-divider' }));
        break;
      case 'section': {
        const main = h('div', { class: 'bk-section-main' });
        if (b.text) main.append(h('div', { class: 'bk-text' }, textObj(b.text)));
        if (Array.isArray(b.fields) && b.fields.length) {
          main.append(h('div', { class: 'bk-fields' }, b.fields.map((f) => h('div', { class: 'bk-field bk-text' }, textObj(f)))));
        }
        wrap.append(main);
        if (isObj(b.accessory)) wrap.append(h('div', { class: 'bk-accessory' }, renderElement(b.accessory, b, ctx, 'action')));
        break;
      }
      case 'context':
        wrap.append(h('div', { class: 'bk-context' }, (Array.isArray(b.elements) ? b.elements : []).map((e) =>
          isObj(e) && e.type === 'image' ? imageAlt(e) : h('span', { class: 'bk-context-item' }, textObj(e)))));
        break;
      case 'actions':
        wrap.append(h('div', { class: 'bk-actions' }, (Array.isArray(b.elements) ? b.elements : []).map((e) => renderElement(e, b, ctx, 'action'))));
        break;
      case 'input':
        renderInput(b, ctx, wrap);
        break;
      case 'image':
        wrap.append(h('figure', { class: 'bk-image' },
          h('div', { class: 'bk-image-alt', role: 'img', 'aria-label': str(b.alt_text) || 'image' }, '🖼 ', str(b.alt_text) || 'image'),
          b.title ? h('figcaption', null, textObj(b.title)) : null));
        break;
      case 'rich_text':
        wrap.append(h('div', { class: 'bk-text bk-rich' }, richText(b.elements)));
        break;
      case 'file':
      case 'video':
      case 'call':
        wrap.append(placeholderBlock(type + (b.title ? ': ' + plainOf(b.title) : '') + ' (not shown in the sandbox)'));
        break;
      default:
        wrap.append(placeholderBlock('Unsupported block' + (type ? ': ' + type : '')));
    }
    return wrap;
  }

  function imageAlt(e) {
    return h('span', { class: 'bk-img', role: 'img', 'aria-label': str(e.alt_text) || 'image' }, '🖼 ' + (str(e.alt_text) || 'image'));
  }

  // richText renders rich_text elements as styled plain text.
  function richText(elements) {
    const frag = document.createDocumentFragment();
    const inl = (els) => {
      const f = document.createDocumentFragment();
      for (const e of Array.isArray(els) ? els : []) {
        if (!isObj(e)) continue;
        let n;
        switch (e.type) {
          case 'text': n = document.createTextNode(str(e.text)); break;
          case 'link': n = link(e.url, str(e.text) || str(e.url)); break;
          case 'user': n = h('span', { class: 'mk-mention' + (e.user_id === directory.me ? ' mk-mention-me' : '') }, '@' + (directory.personName(e.user_id) || e.user_id)); break;
          case 'usergroup': n = h('span', { class: 'mk-mention' }, '@' + str(e.usergroup_id)); break;
          case 'channel': n = h('span', { class: 'mk-mention' }, '#' + (directory.channelName(e.channel_id) || e.channel_id)); break;
          case 'broadcast': n = h('span', { class: 'mk-mention mk-mention-me' }, '@' + str(e.range)); break;
          case 'emoji': n = document.createTextNode(e.unicode ? codepoints(e.unicode) : emojify(':' + str(e.name) + ':')); break;
          case 'date': n = document.createTextNode(str(e.fallback) || new Date(Number(e.timestamp) * 1000).toISOString()); break;
          default: n = document.createTextNode(str(e.text));
        }
        const st = isObj(e.style) ? e.style : {};
        if (st.code) n = h('code', { class: 'mk-code' }, n);
        if (st.bold) n = h('strong', null, n);
        if (st.italic) n = h('em', null, n);
        if (st.strike) n = h('s', null, n);
        f.append(n);
      }
      return f;
    };
    for (const e of Array.isArray(elements) ? elements : []) {
      if (!isObj(e)) continue;
      switch (e.type) {
        case 'rich_text_section': frag.append(h('div', null, inl(e.elements))); break;
        case 'rich_text_preformatted': frag.append(h('pre', { class: 'mk-pre' }, inl(e.elements))); break;
        case 'rich_text_quote': frag.append(h('blockquote', { class: 'mk-quote' }, inl(e.elements))); break;
        case 'rich_text_list': {
          const lst = h(e.style === 'ordered' ? 'ol' : 'ul', { class: 'bk-rich-list' });
          for (const item of Array.isArray(e.elements) ? e.elements : []) lst.append(h('li', null, inl(isObj(item) ? item.elements : [])));
          frag.append(lst);
          break;
        }
        default: frag.append(h('div', null, inl(e.elements)));
      }
    }
    return frag;
  }

  function codepoints(u) {
    try { return String.fromCodePoint(...str(u).split('-').map((x) => parseInt(x, 16))); } catch (e) { return ''; }
  }

  function renderInput(b, ctx, wrap) {
    const el = isObj(b.element) ? b.element : {};
    const id = uid('in');
    const labelId = id + '-label';
    const errId = id + '-err';
    const hintId = id + '-hint';
    const group = ['checkboxes', 'radio_buttons'].includes(el.type);
    wrap.append(h(group ? 'div' : 'label', { class: 'bk-label', id: labelId, for: group ? undefined : id },
      textObj(b.label), b.optional ? h('span', { class: 'bk-optional' }, ' (optional)') : null));
    const node = renderElement(el, b, ctx, 'input', { id, labelId });
    wrap.append(node);
    const control = node.matches('[data-action-id]') ? node : $('[data-action-id]', node);
    if (control) {
      const described = [];
      if (b.hint) described.push(hintId);
      described.push(errId);
      control.setAttribute('aria-describedby', described.join(' '));
      if (!b.optional) control.setAttribute('aria-required', 'true');
    }
    if (b.hint) wrap.append(h('div', { class: 'bk-hint', id: hintId }, textObj(b.hint)));
    wrap.append(h('div', { class: 'bk-error', id: errId, 'data-error-for': str(b.block_id), role: 'alert', hidden: true }));
  }

  // flatOptions lists a select's options, with their group label.
  function flatOptions(el) {
    const out = [];
    if (Array.isArray(el.options)) for (const o of el.options) if (isObj(o)) out.push({ o, group: null });
    if (Array.isArray(el.option_groups)) {
      for (const g of el.option_groups) {
        if (!isObj(g)) continue;
        for (const o of Array.isArray(g.options) ? g.options : []) if (isObj(o)) out.push({ o, group: plainOf(g.label) });
      }
    }
    return out;
  }

  // cleanOption is an option as Slack reports it back in payloads.
  function cleanOption(o) {
    const out = { text: typeof o.text === 'string' ? { type: 'plain_text', text: o.text } : o.text, value: str(o.value) };
    if (o.description) out.description = o.description;
    return out;
  }

  const optValue = (o) => (isObj(o) ? str(o.value) : '');

  // stateToAction maps a state value ({type, value | selected_*}) to the
  // fields of POST /control/actions.
  function stateToAction(st) {
    const out = {};
    for (const [k, v] of Object.entries(st || {})) if (k !== 'type') out[k] = v;
    return out;
  }

  // withDirty returns el with the person's unsubmitted edits as initial values.
  function withDirty(el, st) {
    if (!isObj(st)) return el;
    const e = Object.assign({}, el);
    const map = {
      value: 'initial_value', selected_option: 'initial_option', selected_options: 'initial_options',
      selected_date: 'initial_date', selected_time: 'initial_time', selected_date_time: 'initial_date_time',
      selected_user: 'initial_user', selected_users: 'initial_users',
      selected_conversation: 'initial_conversation', selected_conversations: 'initial_conversations',
      selected_channel: 'initial_channel', selected_channels: 'initial_channels',
    };
    for (const [k, init] of Object.entries(map)) {
      if (k in st) {
        if (st[k] === null) delete e[init];
        else e[init] = st[k];
      }
    }
    e._dirty = true;
    return e;
  }

  function confirmThen(conf, go, cancel) {
    if (!isObj(conf)) { go(); return; }
    openConfirm(conf).then((ok) => (ok ? go() : cancel && cancel()));
  }

  function openURL(url) {
    const u = safeURL(url);
    if (u) window.open(u, '_blank', 'noopener,noreferrer');
  }

  // renderElement renders one interactive element. mode 'action' fires
  // POST /control/actions on every change (actions blocks, accessories);
  // mode 'input' only keeps state, unless the input block sets dispatch_action.
  function renderElement(raw, b, ctx, mode, opt) {
    if (!isObj(raw)) return h('span', { class: 'bk-unknown' }, '[element]');
    opt = opt || {};
    const bid = str(b.block_id);
    const aid = str(raw.action_id);
    const el = ctx.dirty && ctx.dirty[bid] && ctx.dirty[bid][aid] ? withDirty(raw, ctx.dirty[bid][aid]) : raw;
    const type = str(el.type);
    const id = opt.id || uid('el');
    const dispatch = mode === 'action' || (mode === 'input' && b.dispatch_action === true);
    const fire = (extra, node) => ctx.act && ctx.act(Object.assign({ action_id: aid, block_id: bid || undefined }, extra), node);
    const common = { id, 'data-action-id': aid, 'data-element-type': type };

    // stateful wires a stateful element: its value getter, dirty tracking,
    // and (when dispatching) an action on change.
    const stateful = (node, getter, evt, revert) => {
      stateOf.set(node, getter);
      if (ctx.onDirty) {
        node.addEventListener('input', () => ctx.onDirty(bid, aid, getter()));
        node.addEventListener('change', () => ctx.onDirty(bid, aid, getter()));
      }
      if (dispatch) {
        node.addEventListener(evt || 'change', (ev) => {
          if (ev.type === 'keydown' && (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing)) return;
          if (ev.type === 'keydown') ev.preventDefault();
          confirmThen(el.confirm, () => fire(stateToAction(getter()), null), revert);
        });
      }
      return node;
    };

    switch (type) {
      case 'button': {
        const style = el.style === 'primary' ? ' btn-primary' : el.style === 'danger' ? ' btn-danger' : '';
        const btn = h('button', Object.assign({}, common, {
          type: 'button', class: 'btn bk-button' + style, 'data-value': el.value,
          'aria-label': el.accessibility_label || undefined,
        }), textObj(el.text));
        if (el.url && safeURL(el.url)) btn.append(h('span', { class: 'bk-ext', 'aria-hidden': 'true' }, ' ↗'));
        btn.addEventListener('click', () => confirmThen(el.confirm, () => {
          if (el.url) openURL(el.url);
          fire(el.value !== undefined ? { value: str(el.value) } : {}, btn);
        }));
        return btn;
      }

      case 'static_select':
      case 'external_select':
      case 'multi_static_select':
      case 'multi_external_select': {
        const multi = type.startsWith('multi_');
        const opts = flatOptions(el);
        const initial = multi
          ? new Set((Array.isArray(el.initial_options) ? el.initial_options : []).map(optValue))
          : new Set(isObj(el.initial_option) ? [optValue(el.initial_option)] : []);
        // External selects have no options here: offer the initial ones.
        if (type.endsWith('external_select')) {
          for (const o of multi ? (el.initial_options || []) : [el.initial_option]) if (isObj(o)) opts.push({ o, group: null });
        }
        const sel = h('select', Object.assign({}, common, { class: 'bk-select', multiple: multi || undefined, 'aria-labelledby': opt.labelId }));
        if (!opt.labelId) sel.setAttribute('aria-label', plainOf(el.placeholder) || 'Select an option');
        if (multi) sel.size = Math.min(Math.max(opts.length, 2), 6);
        else sel.append(h('option', { value: '', disabled: true, selected: initial.size === 0 }, plainOf(el.placeholder) || 'Select an option'));
        let groupEl = null;
        let groupName = null;
        opts.forEach(({ o, group }, i) => {
          const oe = h('option', { value: String(i), 'data-option-value': str(o.value), selected: initial.has(str(o.value)) }, emojify(plainOf(o.text)));
          if (group !== null) {
            if (group !== groupName) { groupEl = h('optgroup', { label: group }); sel.append(groupEl); groupName = group; }
            groupEl.append(oe);
          } else sel.append(oe);
        });
        const getter = () => {
          const chosen = Array.from(sel.selectedOptions).filter((x) => x.value !== '').map((x) => cleanOption(opts[+x.value].o));
          return multi ? { type, selected_options: chosen } : { type, selected_option: chosen[0] || null };
        };
        let prev = sel.value;
        sel.addEventListener('focus', () => { prev = sel.value; });
        return stateful(sel, getter, 'change', () => { sel.value = prev; });
      }

      case 'users_select':
      case 'multi_users_select':
      case 'conversations_select':
      case 'multi_conversations_select':
      case 'channels_select':
      case 'multi_channels_select': {
        const multi = type.startsWith('multi_');
        const kind = type.replace(/^multi_/, '').replace(/_select$/, ''); // users | conversations | channels
        const key = { users: 'user', conversations: 'conversation', channels: 'channel' }[kind];
        let choices;
        if (kind === 'users') choices = directory.humans().map((p) => ({ value: p.id, text: p.real_name || p.name || p.id }));
        else {
          choices = Array.from(directory.convs.values())
            .filter((c) => kind === 'conversations' || c.kind === 'channel')
            .map((c) => ({ value: c.id, text: c.kind === 'im' ? convLabel(c).replace('💬 ', 'DM: ') : '#' + c.name }));
        }
        const initList = multi ? (Array.isArray(el['initial_' + kind]) ? el['initial_' + kind] : []) : (el['initial_' + key] ? [el['initial_' + key]] : []);
        if (kind === 'conversations' && el.default_to_current_conversation && !initList.length && ctx.channel) initList.push(ctx.channel);
        for (const v of initList) if (!choices.some((c) => c.value === v)) choices.push({ value: str(v), text: str(v) });
        const initial = new Set(initList.map(str));
        const sel = h('select', Object.assign({}, common, { class: 'bk-select', multiple: multi || undefined, 'aria-labelledby': opt.labelId }));
        if (!opt.labelId) sel.setAttribute('aria-label', plainOf(el.placeholder) || 'Select');
        if (multi) sel.size = Math.min(Math.max(choices.length, 2), 6);
        else sel.append(h('option', { value: '', disabled: true, selected: initial.size === 0 }, plainOf(el.placeholder) || (kind === 'users' ? 'Select a person' : 'Select a channel')));
        for (const c of choices) sel.append(h('option', { value: c.value, selected: initial.has(c.value) }, c.text));
        const getter = () => {
          const chosen = Array.from(sel.selectedOptions).map((x) => x.value).filter(Boolean);
          return multi ? { type, ['selected_' + kind]: chosen } : { type, ['selected_' + key]: chosen[0] || null };
        };
        let prev = sel.value;
        sel.addEventListener('focus', () => { prev = sel.value; });
        return stateful(sel, getter, 'change', () => { sel.value = prev; });
      }

      case 'overflow': {
        const opts = flatOptions(el);
        const wrap = h('div', { class: 'bk-overflow' });
        const menuId = uid('menu');
        const btn = h('button', Object.assign({}, common, {
          type: 'button', class: 'btn bk-overflow-btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
          'aria-controls': menuId, 'aria-label': el.accessibility_label || 'More actions',
        }), '⋯');
        const menu = h('div', { class: 'bk-menu', role: 'menu', id: menuId, hidden: true });
        const close = () => { menu.hidden = true; btn.setAttribute('aria-expanded', 'false'); document.removeEventListener('click', outside, true); };
        const outside = (ev) => { if (!wrap.contains(ev.target)) close(); };
        opts.forEach(({ o }) => {
          menu.append(h('button', {
            type: 'button', role: 'menuitem', class: 'bk-menu-item', 'data-option-value': str(o.value),
            onclick: () => {
              close();
              btn.focus();
              confirmThen(el.confirm, () => { if (o.url) openURL(o.url); fire({ selected_option: cleanOption(o) }, btn); });
            },
          }, textObj(o.text)));
        });
        btn.addEventListener('click', () => {
          if (!menu.hidden) { close(); return; }
          menu.hidden = false;
          btn.setAttribute('aria-expanded', 'true');
          document.addEventListener('click', outside, true);
          const first = $('.bk-menu-item', menu);
          if (first) first.focus();
        });
        menu.addEventListener('keydown', (ev) => {
          const items = $$('.bk-menu-item', menu);
          const i = items.indexOf(document.activeElement);
          if (ev.key === 'Escape') { ev.stopPropagation(); close(); btn.focus(); } else if (ev.key === 'ArrowDown') { ev.preventDefault(); (items[i + 1] || items[0]).focus(); } else if (ev.key === 'ArrowUp') { ev.preventDefault(); (items[i - 1] || items[items.length - 1]).focus(); }
        });
        wrap.append(btn, menu);
        return wrap;
      }

      case 'datepicker': {
        const inp = h('input', Object.assign({}, common, { type: 'date', class: 'bk-input', value: str(el.initial_date), 'aria-labelledby': opt.labelId }));
        if (!opt.labelId) inp.setAttribute('aria-label', plainOf(el.placeholder) || 'Date');
        return stateful(inp, () => ({ type, selected_date: inp.value || null }));
      }

      case 'timepicker': {
        const inp = h('input', Object.assign({}, common, { type: 'time', step: '60', class: 'bk-input', value: str(el.initial_time).slice(0, 5), 'aria-labelledby': opt.labelId }));
        if (!opt.labelId) inp.setAttribute('aria-label', plainOf(el.placeholder) || 'Time');
        return stateful(inp, () => ({ type, selected_time: inp.value ? inp.value.slice(0, 5) : null }));
      }

      case 'datetimepicker': {
        const tz = directory.tz();
        const init = Number(el.initial_date_time);
        const inp = h('input', Object.assign({}, common, { type: 'datetime-local', step: '60', class: 'bk-input', value: init ? wallString(init * 1000, tz) : '', 'aria-labelledby': opt.labelId }));
        if (!opt.labelId) inp.setAttribute('aria-label', 'Date and time');
        return stateful(inp, () => {
          const w = parseWall(inp.value);
          return { type, selected_date_time: w ? Math.floor(zonedToUTC(...w, tz) / 1000) : null };
        });
      }

      case 'checkboxes':
      case 'radio_buttons': {
        const radio = type === 'radio_buttons';
        const opts = flatOptions(el);
        const initial = radio
          ? new Set(isObj(el.initial_option) ? [optValue(el.initial_option)] : [])
          : new Set((Array.isArray(el.initial_options) ? el.initial_options : []).map(optValue));
        const box = h('div', Object.assign({}, common, { class: 'bk-choices', role: radio ? 'radiogroup' : 'group', 'aria-labelledby': opt.labelId }));
        const name = uid('grp');
        const inputs = [];
        opts.forEach(({ o }, i) => {
          const cid = uid('opt');
          const inp = h('input', { type: radio ? 'radio' : 'checkbox', id: cid, name, value: String(i), checked: initial.has(str(o.value)), 'data-option-value': str(o.value) });
          inputs.push(inp);
          box.append(h('div', { class: 'bk-choice' }, inp, h('label', { for: cid },
            h('span', { class: 'bk-choice-text' }, textObj(o.text)),
            o.description ? h('span', { class: 'bk-choice-desc' }, textObj(o.description)) : null)));
        });
        const getter = () => {
          const chosen = inputs.filter((x) => x.checked).map((x) => cleanOption(opts[+x.value].o));
          return radio ? { type, selected_option: chosen[0] || null } : { type, selected_options: chosen };
        };
        return stateful(box, getter, 'change');
      }

      case 'plain_text_input':
      case 'number_input':
      case 'email_text_input':
      case 'url_text_input':
      case 'rich_text_input': {
        const multiline = (type === 'plain_text_input' && el.multiline) || type === 'rich_text_input';
        const inputType = { number_input: 'number', email_text_input: 'email', url_text_input: 'url' }[type] || 'text';
        let initial = el.initial_value;
        if (type === 'rich_text_input') initial = richPlain(el.initial_value);
        const attrs = Object.assign({}, common, {
          class: 'bk-input' + (multiline ? ' bk-textarea' : ''),
          placeholder: plainOf(el.placeholder) || undefined,
          maxlength: Number(el.max_length) > 0 ? Number(el.max_length) : undefined,
          minlength: Number(el.min_length) > 0 ? Number(el.min_length) : undefined,
          'aria-labelledby': opt.labelId,
        });
        const inp = multiline ? h('textarea', Object.assign(attrs, { rows: 4 })) : h('input', Object.assign(attrs, { type: inputType }));
        if (type === 'number_input') {
          inp.step = el.is_decimal_allowed ? 'any' : '1';
          if (el.min_value !== undefined) inp.min = str(el.min_value);
          if (el.max_value !== undefined) inp.max = str(el.max_value);
        }
        if (!opt.labelId) inp.setAttribute('aria-label', plainOf(el.placeholder) || 'Text');
        inp.value = str(initial);
        const getter = type === 'rich_text_input'
          ? () => ({ type, rich_text_value: inp.value ? { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: inp.value }] }] } : null })
          : () => ({ type, value: inp.value === '' ? null : inp.value });
        const triggers = isObj(el.dispatch_action_config) && Array.isArray(el.dispatch_action_config.trigger_actions_on) ? el.dispatch_action_config.trigger_actions_on : [];
        const evt = triggers.includes('on_character_entered') ? 'input' : multiline ? 'change' : 'keydown';
        const node = stateful(inp, getter, evt);
        if (Number(el.max_length) > 0) {
          const counter = h('div', { class: 'bk-counter', 'aria-live': 'polite' });
          const upd = () => {
            const left = Number(el.max_length) - inp.value.length;
            counter.textContent = left <= Math.max(20, Number(el.max_length) / 10) ? left + ' characters left' : '';
          };
          inp.addEventListener('input', upd);
          upd();
          return h('div', { class: 'bk-input-wrap' }, node, counter);
        }
        return node;
      }

      case 'image':
        return imageAlt(el);

      default:
        return h('span', { class: 'bk-unknown', 'data-action-id': aid || undefined }, '[' + (type || 'element') + ' not supported in the sandbox]');
    }
  }

  function richPlain(v) {
    if (!isObj(v)) return str(v);
    const out = [];
    const walk = (x) => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (isObj(x)) { if (typeof x.text === 'string' && x.type === 'text') out.push(x.text); walk(x.elements); }
    };
    walk(v.elements);
    return out.join('');
  }

  // gatherValues collects state.values from a rendered view.
  function gatherValues(root) {
    const values = {};
    for (const node of $$('[data-action-id]', root)) {
      const get = stateOf.get(node);
      if (!get) continue;
      const blk = node.closest('[data-block-id]');
      const bid = blk ? blk.getAttribute('data-block-id') : '';
      const aid = node.getAttribute('data-action-id');
      if (!bid || !aid) continue;
      (values[bid] = values[bid] || {})[aid] = get();
    }
    return values;
  }

  /* ------------------------------------------------------------------ app */

  const state = {
    info: null,
    people: [],
    peopleSig: '',
    convs: [],
    user: '',
    tab: 'messages',
    conv: '',
    gen: 0, // bumped when the person changes; late answers for another person are dropped
    local: new Map(), // `${user}|${conv}` → local ephemeral messages (slash command acks)
    msgNodes: new Map(), // key → {sig, node}
    msgConv: '',
    home: { sig: '', view: null, loaded: false },
    homeOpening: false,
    modal: null, // {view, sig, depth, el, dirty, errors, busy}
    dirty: new Map(), // view id → unsubmitted edits
    history: [],
    histPos: -1,
    tick: 0,
    offline: false,
  };

  /* --- errors, toasts, banner --- */

  let toastTimer = 0;
  function toast(msg) {
    const t = $('#toast');
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
  }

  function onError(e) {
    if (e && (e.network || e.status >= 500)) {
      if (!state.offline) {
        state.offline = true;
        const b = $('#banner');
        b.textContent = 'The emulator is not answering (' + e.message + '). Retrying…';
        b.hidden = false;
      }
      return;
    }
    console.warn('trellis sandbox:', e);
    if (e && e.message) toast(e.message);
  }

  function online() {
    if (state.offline) {
      state.offline = false;
      $('#banner').hidden = true;
    }
  }

  // single makes fn non-reentrant: a call while running queues one rerun.
  function single(fn) {
    let running = null;
    let again = false;
    return function () {
      if (running) { again = true; return running; }
      running = (async () => {
        try {
          do {
            again = false;
            try { await fn(); online(); } catch (e) { onError(e); }
          } while (again);
        } finally { running = null; }
      })();
      return running;
    };
  }

  /* --- people and workspace --- */

  function me() { return directory.byId.get(state.user) || null; }

  function initials(p) {
    const n = (p && (p.real_name || p.name)) || '?';
    const w = n.trim().split(/\s+/);
    return ((w[0] || '?')[0] + (w.length > 1 ? w[w.length - 1][0] : '')).toUpperCase();
  }

  function avatarClass(id) {
    let x = 0;
    for (const ch of str(id)) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
    return 'avatar av-' + (x % 8);
  }

  function statusActive(p) {
    if (!p || (!p.status_emoji && !p.status_text)) return false;
    return !p.status_expiration || p.status_expiration * 1000 > simNow();
  }

  const refreshInfo = single(async () => {
    state.info = await api.info();
    directory.botUserId = state.info.bot_user_id;
    if (state.info.team_name) $('#ws-name').textContent = state.info.team_name;
    const bits = [];
    if (state.info.delivery) bits.push('delivery: ' + state.info.delivery);
    if (state.info.delivery === 'socket' && typeof state.info.socket_connections === 'number') {
      bits.push(state.info.socket_connections + ' connection' + (state.info.socket_connections === 1 ? '' : 's'));
    }
    if (state.info.installed === false) bits.push('app uninstalled');
    const st = $('#ws-status');
    st.textContent = bits.join(' · ') || 'connected';
    st.classList.toggle('ws-warn', state.info.installed === false || (state.info.delivery === 'socket' && state.info.socket_connections === 0));
  });

  const refreshPeople = single(async () => {
    const people = await api.people();
    const humans = people.filter((p) => !p.is_bot && p.id !== directory.botUserId && p.id !== 'USLACKBOT' && !p.deleted);
    directory.people = people;
    directory.byId = new Map(people.map((p) => [p.id, p]));
    const sig = JSON.stringify(humans);
    if (sig !== state.peopleSig) {
      const namesChanged = JSON.stringify(people.map((p) => [p.id, p.real_name, p.name])) !== JSON.stringify(state.people.map((p) => [p.id, p.real_name, p.name]));
      state.people = humans;
      state.peopleSig = sig;
      renderPeople();
      renderWho();
      fillZones();
      if (namesChanged) state.msgNodes.clear(); // mentions show names
    }
    if (!state.user && humans.length) selectPerson(humans[0].id, { replace: true });
    else if (state.user && !directory.byId.has(state.user) && humans.length) selectPerson(humans[0].id, { replace: true });
  });

  function renderPeople() {
    const ul = $('#people-list');
    ul.replaceChildren();
    if (!state.people.length) {
      ul.append(h('li', { class: 'empty-note' }, 'No people yet.'));
      return;
    }
    for (const p of state.people) {
      const status = statusActive(p) ? p : null;
      const exp = status && p.status_expiration ? ' until ' + new Date(p.status_expiration * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '';
      ul.append(h('li', null, h('button', {
        type: 'button', class: 'person', 'data-testid': 'person-' + p.id, 'data-user-id': p.id,
        'aria-current': p.id === state.user ? 'true' : undefined,
        onclick: () => selectPerson(p.id),
      },
      h('span', { class: avatarClass(p.id), 'aria-hidden': 'true' }, initials(p)),
      h('span', { class: 'person-main' },
        h('span', { class: 'person-name' },
          h('span', { class: 'person-real' }, p.real_name || p.name || p.id),
          status && status.status_emoji ? h('span', { class: 'status-emoji', title: (p.status_text || p.status_emoji) + exp, 'aria-label': 'Status: ' + (p.status_text || p.status_emoji) + exp }, emojify(p.status_emoji)) : null,
          p.dnd_enabled ? h('span', { class: 'status-emoji', title: 'Do not disturb', 'aria-label': 'Do not disturb' }, '🔕') : null,
          p.is_admin || p.is_owner ? h('span', { class: 'badge badge-side' }, p.is_owner ? 'owner' : 'admin') : null),
        h('span', { class: 'person-tz' },
          h('span', { class: 'person-time', 'data-tz': p.tz }, validTZ(p.tz) ? hhmm(simNow(), p.tz) : '--:--'),
          ' · ', p.tz || 'no timezone')))));
    }
  }

  function renderWho() {
    const who = $('#who');
    const p = me();
    who.replaceChildren();
    if (!p) {
      who.append(h('span', { class: 'who-name' }, 'Pick a person'));
      return;
    }
    const status = statusActive(p) ? [emojify(p.status_emoji), p.status_text].filter(Boolean).join(' ') : '';
    who.append(
      h('span', { class: avatarClass(p.id), 'aria-hidden': 'true' }, initials(p)),
      h('span', { class: 'who-main' },
        h('span', { class: 'who-name' }, 'You are ', h('strong', null, p.real_name || p.name)),
        h('span', { class: 'who-meta' },
          h('span', { class: 'person-time', 'data-tz': p.tz }, validTZ(p.tz) ? hhmm(simNow(), p.tz) : '--:--'),
          ' local time · ' + (p.tz || 'no timezone') + (status ? ' · ' + status : ''))));
  }

  // tickTimes keeps the displayed clock and local times flowing.
  let lastMinute = -1;
  function tickTimes() {
    const now = simNow();
    const c = $('#clock-now');
    const p = parts(now, 'UTC');
    c.replaceChildren(
      h('span', { class: 'clock-date' }, fmt('UTC', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(now)),
      h('span', { class: 'clock-time' }, pad(p.hour) + ':' + pad(p.minute) + ':' + pad(p.second) + ' UTC'),
      h('span', { class: 'clock-flag', hidden: !clock.frozen }, 'frozen'));
    c.setAttribute('data-now', rfc3339(Math.floor(now / 1000) * 1000));
    const minute = Math.floor(now / 60000);
    if (minute !== lastMinute) {
      lastMinute = minute;
      for (const n of $$('.person-time')) {
        const tz = n.getAttribute('data-tz');
        n.textContent = validTZ(tz) ? hhmm(now, tz) : '--:--';
      }
    }
  }

  /* --- person, tab, conversation selection and the location hash --- */

  function readHash() {
    const raw = location.hash.replace(/^#/, '');
    if (!raw) return {};
    if (!raw.includes('=')) return { user: decodeURIComponent(raw) };
    const q = new URLSearchParams(raw);
    return { user: q.get('user') || '', tab: q.get('tab') || '', conv: q.get('conv') || '' };
  }

  function writeHash() {
    const q = new URLSearchParams();
    if (state.user) q.set('user', state.user);
    if (state.tab !== 'messages') q.set('tab', state.tab);
    if (state.conv) q.set('conv', state.conv);
    const want = '#' + q.toString();
    if (location.hash !== want) history.replaceState(null, '', want);
  }

  function selectPerson(id, opts) {
    opts = opts || {};
    if (id === state.user && !opts.force) return;
    state.user = id;
    state.gen++;
    directory.me = id;
    state.conv = opts.conv || '';
    state.convs = [];
    directory.convs = new Map();
    state.home = { sig: '', view: null, loaded: false };
    state.msgNodes.clear();
    state.msgConv = '';
    closeModalDOM();
    state.dirty.clear();
    $('#messages').replaceChildren();
    $('#home').replaceChildren();
    $('#convs').replaceChildren();
    for (const b of $$('.person')) {
      if (b.getAttribute('data-user-id') === id) {
        b.setAttribute('aria-current', 'true');
        b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      } else b.removeAttribute('aria-current');
    }
    renderWho();
    fillZones();
    writeHash();
    refreshConvs().then(() => { if (state.tab === 'messages') refreshMessages(); });
    refreshViews();
    if (state.tab === 'home') openHome();
  }

  function selectTab(tab, opts) {
    opts = opts || {};
    if (tab !== 'home') tab = 'messages';
    const changed = tab !== state.tab;
    state.tab = tab;
    for (const [t, panel] of [['messages', '#panel-messages'], ['home', '#panel-home']]) {
      const btn = $('#tab-' + t);
      btn.setAttribute('aria-selected', String(t === tab));
      btn.tabIndex = t === tab ? 0 : -1;
      $(panel).hidden = t !== tab;
    }
    writeHash();
    if (tab === 'home' && (changed || opts.force)) openHome();
    if (tab === 'messages' && changed) refreshMessages();
  }

  function dmId() {
    const p = me();
    if (p && p.dm) return p.dm;
    const im = state.convs.find((c) => c.kind === 'im' && (!c.user || c.user === state.user || c.user === directory.botUserId)) || state.convs.find((c) => c.kind === 'im');
    return im ? im.id : '';
  }

  function currentConv() {
    return state.conv || dmId();
  }

  function selectConv(id) {
    state.conv = id === dmId() ? '' : id;
    writeHash();
    renderConvs();
    state.msgNodes.clear();
    $('#messages').replaceChildren();
    refreshMessages();
  }

  const refreshConvs = single(async () => {
    const user = state.user;
    const gen = state.gen;
    if (!user) return;
    const convs = await api.conversations(user);
    if (gen !== state.gen) return;
    const sig = JSON.stringify(convs);
    if (sig === JSON.stringify(state.convs)) return;
    state.convs = convs;
    directory.convs = new Map(convs.map((c) => [c.id, c]));
    renderConvs();
  });

  // An IM is the person's DM with the bot; the emulator's user field names
  // the human in it.
  function convLabel(c) {
    if (c.kind === 'im') {
      const other = c.user && c.user !== directory.botUserId && c.user !== state.user ? directory.personName(c.user) : '';
      return other ? '💬 ' + other : '💬 Trellis';
    }
    if (c.kind === 'mpim') {
      // A group DM: the other people in it, the bot and oneself left out.
      const others = (c.members || []).filter((u) => u !== directory.botUserId && u !== state.user).map((u) => directory.personName(u) || u);
      return '👥 ' + (others.join(', ') || c.name || c.id);
    }
    return '# ' + (c.name || c.id);
  }

  function renderConvs() {
    const box = $('#convs');
    box.replaceChildren();
    const cur = currentConv();
    let convs = state.convs.slice();
    const dm = dmId();
    if (dm && !convs.some((c) => c.id === dm)) convs.unshift({ id: dm, kind: 'im', name: '' });
    const rank = { im: 0, mpim: 1 };
    convs.sort((a, b) => (rank[a.kind] ?? 2) - (rank[b.kind] ?? 2) || a.name.localeCompare(b.name));
    if (!convs.length) {
      box.append(h('span', { class: 'conv-note' }, 'Direct message with Trellis'));
      return;
    }
    for (const c of convs) {
      box.append(h('button', {
        type: 'button', class: 'conv', 'data-testid': 'conv-' + c.id, 'data-conv-kind': c.kind,
        'aria-pressed': String(c.id === cur), onclick: () => selectConv(c.id),
      }, convLabel(c)));
    }
  }

  /* --- messages --- */

  function localKey(conv) { return state.user + '|' + (conv || ''); }

  function addLocal(conv, msg) {
    const k = localKey(conv);
    const arr = state.local.get(k) || [];
    arr.push(msg);
    while (arr.length > 50) arr.shift();
    state.local.set(k, arr);
  }

  function nowTs(shift) {
    const ms = simNow() + (shift || 0);
    const us = Math.floor(ms * 1000) % 1000000;
    return Math.floor(ms / 1000) + '.' + pad(us, 6);
  }

  function contentKey(m) {
    return str(m.text) + '|' + (Array.isArray(m.blocks) ? m.blocks.map((b) => (isObj(b) ? b.type : '')).join(',') : '');
  }

  const refreshMessages = single(async () => {
    const user = state.user;
    const gen = state.gen;
    const conv = currentConv();
    if (!user || state.tab !== 'messages') return;
    let server = [];
    if (conv) server = await api.messages(conv, user);
    if (gen !== state.gen || conv !== currentConv()) return;
    // Local copies of slash-command acks, unless the emulator shows them too.
    const locals = (state.local.get(localKey(conv)) || []).filter((l) =>
      !server.some((m) => contentKey(m) === l.contentKey && tsCmp(m.ts, l.minTs) >= 0));
    const all = server.concat(locals).sort((a, b) => tsCmp(a.ts, b.ts));
    renderMessages(all, conv);
  });

  function renderMessages(msgs, conv) {
    const box = $('#messages');
    const first = state.msgConv !== conv;
    state.msgConv = conv;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    const tz = directory.tz();
    const nodes = [];
    const seen = new Map();
    let lastDay = '';
    for (const m of msgs) {
      const ms = tsMs(m.ts);
      const day = isFinite(ms) ? dayKey(ms, tz) : '';
      if (day && day !== lastDay) {
        lastDay = day;
        const key = 'day|' + day;
        const old = state.msgNodes.get(key);
        const node = old ? old.node : h('div', { class: 'day-divider', role: 'separator' }, h('span', null, fmt(tz, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(ms)));
        seen.set(key, { sig: '', node });
        nodes.push(node);
      }
      const key = (m.local ? 'local|' : m.ephemeral ? 'eph|' : 'msg|') + m.ts;
      const sig = JSON.stringify(m);
      const old = state.msgNodes.get(key);
      let node;
      if (old && old.sig === sig) node = old.node;
      else {
        try { node = renderMessage(m, conv); } catch (e) {
          console.error('trellis sandbox: message', m, e);
          node = h('article', { class: 'msg' }, placeholderBlock('This message could not be shown.'));
        }
      }
      seen.set(key, { sig, node });
      nodes.push(node);
    }
    if (!msgs.length) {
      nodes.push(h('div', { class: 'empty-state' },
        h('p', null, 'No messages here yet.'),
        h('p', null, 'Try ', h('button', { type: 'button', class: 'btn btn-link', 'data-testid': 'try-help', onclick: () => runCommand('/trellis help') }, '/trellis help'), ' or ',
          h('button', { type: 'button', class: 'btn btn-link', onclick: () => runCommand('/trellis me') }, '/trellis me'), '.')));
    }
    state.msgNodes = seen;
    const cur = Array.from(box.children);
    const same = !msgs.length ? false : cur.length === nodes.length && cur.every((n, i) => n === nodes[i]);
    if (!same) box.replaceChildren(...nodes);
    if (first || (atBottom && !same)) box.scrollTop = box.scrollHeight;
  }

  function renderMessage(m, conv) {
    const info = state.info || {};
    const isBot = !!m.bot_id || (m.user && m.user === info.bot_user_id) || m.local;
    const isTrellis = m.local || (info.bot_id && m.bot_id === info.bot_id) || (m.user && m.user === info.bot_user_id) || (!info.bot_id && m.bot_id);
    const person = directory.byId.get(m.user);
    // A bot message posted under a person's name (chat:write.customize:
    // username, icon_url) shows that name, as Slack does, with the APP badge.
    const custom = isBot && !m.slackbot ? str(m.username) : '';
    const author = m.slackbot ? 'Slackbot' : custom ? custom : isTrellis ? 'Trellis' : isBot ? 'App' : (person ? person.real_name || person.name : m.user || 'Someone');
    const ms = tsMs(m.ts);
    const tz = directory.tz();
    const mine = m.user && m.user === state.user && !isBot;
    const ctx = {
      surface: 'message',
      channel: conv,
      act: actor(m.local ? { channel: conv } : { channel: conv, message_ts: m.ts }),
    };
    const body = h('div', { class: 'msg-body' });
    const files = Array.isArray(m.files) ? m.files.filter(isObj) : [];
    if (Array.isArray(m.blocks) && m.blocks.length) body.append(renderBlocks(m.blocks, ctx));
    else if (str(m.text) || !files.length) body.append(h('div', { class: 'bk-text' }, mrkdwn(m.text)));
    for (const f of files) body.append(renderFile(f));
    const threaded = m.thread_ts && m.thread_ts !== m.ts;
    return h('article', {
      class: 'msg' + (m.ephemeral || m.local ? ' msg-ephemeral' : '') + (isBot ? ' msg-bot' : '') + (mine ? ' msg-mine' : ''),
      'data-testid': 'message', 'data-ts': m.ts, 'data-ephemeral': m.ephemeral || m.local ? 'true' : undefined,
      'data-local': m.local ? 'true' : undefined,
    },
    h('span', { class: m.slackbot ? 'avatar av-sb' : custom ? avatarClass(custom) : isTrellis ? 'avatar av-bot' : avatarClass(m.user), 'aria-hidden': 'true' }, m.slackbot ? 'S' : custom ? initials({ name: custom }) : isTrellis ? 'T' : initials(person || { name: author })),
    h('div', { class: 'msg-main' },
      h('div', { class: 'msg-head' },
        h('span', { class: 'msg-author' }, author),
        isBot && !m.slackbot ? h('span', { class: 'badge' }, 'APP') : null,
        isFinite(ms) ? h('time', { class: 'msg-time', datetime: new Date(ms).toISOString(), title: fmt(tz, { dateStyle: 'full', timeStyle: 'long' }).format(ms) }, hhmm(ms, tz)) : null,
        m.edited ? h('span', { class: 'msg-edited' }, '(edited)') : null),
      threaded ? h('div', { class: 'msg-thread' }, '↳ reply in thread') : null,
      body,
      m.ephemeral || m.local ? h('div', { class: 'msg-eph-note' }, h('span', { 'aria-hidden': 'true' }, '👁 '), 'Only visible to you') : null));
  }

  // renderFile shows a file the bot shared: its name, linking to the
  // emulator's download endpoint, and its size.
  function renderFile(f) {
    const name = str(f.name) || str(f.id);
    const size = Number(f.size) || 0;
    const kb = size < 1024 ? size + ' B' : size < 1048576 ? (size / 1024).toFixed(1) + ' KB' : (size / 1048576).toFixed(1) + ' MB';
    return h('div', { class: 'msg-file', 'data-testid': 'message-file', 'data-file-id': str(f.id) },
      h('span', { 'aria-hidden': 'true' }, '📎 '),
      h('a', { href: api.base + 'files/' + encodeURIComponent(str(f.id)) + '/download', download: name, title: str(f.title) || name }, name),
      h('span', { class: 'msg-file-size' }, ' ' + kb));
  }

  // actor returns the function that sends an element's action, with the
  // surface's coordinates (channel + message_ts, or view_id).
  function actor(where) {
    return async (payload, node) => {
      const user = state.user;
      if (!user) return;
      const body = Object.assign({ user }, dropEmpty(where), payload);
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      if (node && node.tagName === 'BUTTON') { node.disabled = true; node.setAttribute('aria-busy', 'true'); }
      try {
        const res = await api.action(body);
        if (!res.ok) toast('Trellis did not take that action: ' + (res.error || 'status ' + res.status));
      } catch (e) {
        onError(e);
      } finally {
        if (node && node.isConnected) { node.disabled = false; node.removeAttribute('aria-busy'); }
      }
      burst();
    };
  }

  /* --- home --- */

  function homeSig(v) { return v ? JSON.stringify([v.id, v.hash, v.blocks]) : 'none'; }

  function showHome(view) {
    const sig = homeSig(view);
    state.home.loaded = true;
    if (sig === state.home.sig) return;
    state.home.sig = sig;
    state.home.view = view;
    const box = $('#home');
    const prevScroll = box.parentElement.scrollTop;
    box.replaceChildren();
    if (!view) {
      const p = me();
      box.append(h('div', { class: 'empty-state' }, h('p', null, 'Trellis has not published a Home tab for ' + ((p && (p.real_name || p.name)) || 'this person') + ' yet.')));
      return;
    }
    box.setAttribute('data-view-id', str(view.id));
    box.append(renderBlocks(view.blocks, { surface: 'home', act: actor({ view_id: view.id }) }));
    box.parentElement.scrollTop = prevScroll;
  }

  const refreshHome = single(async () => {
    const user = state.user;
    const gen = state.gen;
    if (!user || state.tab !== 'home') return;
    const v = await api.home(user);
    if (gen !== state.gen) return;
    showHome(v);
  });

  // openHome tells the emulator the person opened the Home tab (the bot gets
  // app_home_opened), then polls briefly until the published view changes.
  async function openHome() {
    const user = state.user;
    const gen = state.gen;
    if (!user || state.homeOpening) return;
    state.homeOpening = true;
    try {
      if (!state.home.loaded) $('#home').replaceChildren(h('div', { class: 'empty-state' }, 'Opening Home…'));
      try {
        const r = await api.openHome(user);
        if (gen !== state.gen) return;
        if (r.view) showHome(r.view);
        if (!r.ok && r.error) toast('Opening Home: ' + r.error);
      } catch (e) { onError(e); }
      const before = state.home.sig;
      for (let i = 0; i < 12 && gen === state.gen && state.tab === 'home'; i++) {
        await sleep(250);
        await refreshHome();
        if (state.home.sig !== before) break;
      }
      if (!state.home.loaded && gen === state.gen) showHome(null);
    } finally {
      state.homeOpening = false;
    }
  }

  /* --- modals --- */

  function viewSig(v, depth) { return JSON.stringify([v.id, v.hash, v.title, v.submit, v.close, v.blocks, depth]); }

  const refreshViews = single(async () => {
    const user = state.user;
    const gen = state.gen;
    if (!user) return;
    const views = await api.views(user);
    if (gen !== state.gen) return;
    applyViews(views);
  });

  function applyViews(views) {
    if (state.modal && state.modal.busy) return;
    if (confirmOpen) return;
    const top = views.length ? views[views.length - 1] : null;
    if (!top) { closeModalDOM(); return; }
    const sig = viewSig(top, views.length);
    if (state.modal && state.modal.sig === sig) {
      const errs = isObj(top.errors) ? top.errors : null;
      if (errs && JSON.stringify(errs) !== JSON.stringify(state.modal.errors)) showErrors(errs);
      return;
    }
    renderModal(top, views.length, sig);
  }

  function focusKey() {
    const a = document.activeElement;
    if (!a || !state.modal || !state.modal.el.contains(a)) return null;
    const ctl = a.closest('[data-action-id]') || a;
    const blk = a.closest('[data-block-id]');
    return {
      block: blk && blk.getAttribute('data-block-id'), action: ctl.getAttribute('data-action-id'),
      testid: a.getAttribute('data-testid'), start: a.selectionStart, end: a.selectionEnd,
      optionValue: a.getAttribute('data-option-value'),
    };
  }

  function restoreFocus(k, root) {
    let target = null;
    if (k && k.block && k.action) {
      const blk = $(attrSel('data-block-id', k.block), root);
      const ctl = blk && $(attrSel('data-action-id', k.action), blk.parentElement || blk);
      target = ctl && k.optionValue ? $(attrSel('data-option-value', k.optionValue), ctl) : ctl;
    } else if (k && k.testid) target = $(attrSel('data-testid', k.testid), root);
    if (!target && !k) target = $('input:not([type=hidden]), textarea, select, [role=radiogroup] input, button.bk-button', $('.modal-body', root)) || $('[data-testid="modal-close"]', root);
    if (target && target.focus) {
      target.focus({ preventScroll: false });
      if (k && typeof k.start === 'number' && target.setSelectionRange) {
        try { target.setSelectionRange(k.start, k.end); } catch (e) { /* not a text input */ }
      }
    }
  }

  let focusBeforeModal = null;

  function renderModal(view, depth, sig) {
    const sameView = state.modal && state.modal.view.id === view.id;
    const fk = sameView ? focusKey() : null;
    if (!state.modal) focusBeforeModal = document.activeElement;
    const dirty = state.dirty.get(view.id) || {};
    state.dirty.set(view.id, dirty);
    const ctx = {
      surface: 'modal',
      dirty,
      onDirty(bid, aid, st) { (dirty[bid] = dirty[bid] || {})[aid] = st; },
      act: actor({ view_id: view.id }),
    };
    const titleId = uid('modal-title');
    const formId = uid('modal-form');
    const form = h('form', { class: 'modal-body', id: formId, novalidate: true });
    form.append(renderBlocks(view.blocks, ctx));
    const general = h('div', { class: 'modal-error', role: 'alert', 'data-testid': 'modal-error', hidden: true });
    const hasSubmit = !!plainOf(view.submit);
    const closeLabel = plainOf(view.close) || 'Cancel';
    const submitBtn = hasSubmit ? h('button', { type: 'submit', form: formId, class: 'btn btn-primary', 'data-testid': 'modal-submit' }, emojify(plainOf(view.submit))) : null;
    const closeBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'modal-close', onclick: () => closeTop() }, emojify(closeLabel));
    const dialog = h('div', {
      class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId,
      'data-testid': 'modal', 'data-view-id': str(view.id), 'data-callback-id': str(view.callback_id), 'data-stack-depth': String(depth),
    },
    h('header', { class: 'modal-head' },
      depth > 1 ? h('span', { class: 'modal-depth', title: depth + ' views open' }, depth + ' ›') : null,
      h('h2', { class: 'modal-title', id: titleId }, emojify(plainOf(view.title)) || 'Trellis'),
      h('button', { type: 'button', class: 'modal-x', 'aria-label': 'Close', 'data-testid': 'modal-x', onclick: () => closeTop() }, '×')),
    form,
    general,
    h('footer', { class: 'modal-foot' }, closeBtn, submitBtn));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); if (hasSubmit) submitTop(); });
    dialog.addEventListener('keydown', trapTab);
    const root = $('#modal-root');
    root.replaceChildren(h('div', { class: 'modal-backdrop' }, dialog));
    document.body.classList.add('modal-open');
    $('#app').setAttribute('aria-hidden', 'true');
    const keepErrors = sameView && state.modal ? state.modal.errors : null;
    state.modal = { view, sig, depth, el: dialog, errors: {}, busy: false, submitBtn };
    const errs = isObj(view.errors) && Object.keys(view.errors).length ? view.errors : keepErrors;
    if (errs && Object.keys(errs).length) showErrors(errs, { focus: false });
    restoreFocus(fk, dialog);
  }

  function trapTab(ev) {
    if (ev.key !== 'Tab') return;
    const f = $$('button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href]', ev.currentTarget)
      .filter((x) => x.offsetParent !== null);
    if (!f.length) return;
    const first = f[0];
    const last = f[f.length - 1];
    if (ev.shiftKey && document.activeElement === first) { ev.preventDefault(); last.focus(); } else if (!ev.shiftKey && document.activeElement === last) { ev.preventDefault(); first.focus(); }
  }

  function closeModalDOM() {
    if (!state.modal) return;
    state.modal = null;
    $('#modal-root').replaceChildren();
    document.body.classList.remove('modal-open');
    $('#app').removeAttribute('aria-hidden');
    const back = focusBeforeModal && focusBeforeModal.isConnected ? focusBeforeModal : $('#composer');
    focusBeforeModal = null;
    if (back && back.focus) back.focus();
  }

  function showErrors(errors, opts) {
    const m = state.modal;
    if (!m) return;
    m.errors = errors || {};
    const dialog = m.el;
    for (const e of $$('.bk-error', dialog)) { e.hidden = true; e.textContent = ''; }
    for (const b of $$('.has-error', dialog)) b.classList.remove('has-error');
    for (const c of $$('[aria-invalid]', dialog)) c.removeAttribute('aria-invalid');
    const general = $('.modal-error', dialog);
    general.replaceChildren();
    general.hidden = true;
    let firstBad = null;
    for (const [bid, msg] of Object.entries(m.errors)) {
      const slot = $('.bk-error' + attrSel('data-error-for', bid), dialog);
      if (slot) {
        slot.textContent = str(msg);
        slot.hidden = false;
        const blk = slot.closest('[data-block-id]');
        if (blk) blk.classList.add('has-error');
        const ctl = blk && $('[data-action-id]', blk);
        if (ctl) { ctl.setAttribute('aria-invalid', 'true'); firstBad = firstBad || ctl; }
      } else {
        general.append(h('div', { 'data-error-for': bid }, str(msg)));
        general.hidden = false;
      }
    }
    if (firstBad && (!opts || opts.focus !== false)) {
      const f = firstBad.matches('input, select, textarea, button') ? firstBad : $('input, select, textarea', firstBad);
      if (f) f.focus();
    }
  }

  function modalProblem(msg) {
    const m = state.modal;
    if (!m) { toast(msg); return; }
    const general = $('.modal-error', m.el);
    general.replaceChildren(h('div', null, msg));
    general.hidden = false;
  }

  async function submitTop() {
    const m = state.modal;
    const user = state.user;
    if (!m || m.busy || !user) return;
    m.busy = true;
    const btn = m.submitBtn;
    if (btn) { btn.disabled = true; btn.setAttribute('aria-busy', 'true'); }
    const values = gatherValues(m.el);
    let views;
    try {
      const res = await api.submitView(m.view.id, user, values);
      const errs = res.errors;
      if (Object.keys(errs).length || res.response_action === 'errors') {
        showErrors(errs);
        return;
      }
      if (!res.ok) {
        modalProblem('Trellis did not accept this: ' + (res.error || 'status ' + res.status) + '. Try again?');
        return;
      }
      state.dirty.delete(m.view.id);
      views = res.views;
    } catch (e) {
      if (e.status >= 400 && e.status < 500) modalProblem(e.message);
      else onError(e);
      return;
    } finally {
      m.busy = false;
      if (btn && btn.isConnected) { btn.disabled = false; btn.removeAttribute('aria-busy'); }
    }
    if (views) applyViews(views);
    else refreshViews();
    burst();
  }

  async function closeTop() {
    const m = state.modal;
    const user = state.user;
    if (!m || m.busy || !user) return;
    m.busy = true;
    let views;
    try {
      const res = await api.closeView(m.view.id, user);
      views = res.views;
      if (!res.ok && res.error) toast('Closing the view: ' + res.error);
      state.dirty.delete(m.view.id);
    } catch (e) {
      onError(e);
    } finally {
      m.busy = false;
    }
    if (views) applyViews(views);
    else {
      closeModalDOM();
      refreshViews();
    }
    burst();
  }

  /* --- a small confirm dialog for elements with a confirm object --- */

  let confirmOpen = false;

  function openConfirm(conf) {
    return new Promise((resolve) => {
      confirmOpen = true;
      const prev = document.activeElement;
      const titleId = uid('confirm-title');
      let done = false;
      const finish = (ok) => {
        if (done) return;
        done = true;
        confirmOpen = false;
        back.remove();
        if (prev && prev.isConnected && prev.focus) prev.focus();
        resolve(ok);
      };
      const danger = conf.style === 'danger';
      const ok = h('button', { type: 'button', class: 'btn ' + (danger ? 'btn-danger' : 'btn-primary'), 'data-testid': 'confirm-ok', onclick: () => finish(true) }, plainOf(conf.confirm) || 'Yes');
      const no = h('button', { type: 'button', class: 'btn', 'data-testid': 'confirm-cancel', onclick: () => finish(false) }, plainOf(conf.deny) || 'Cancel');
      const dialog = h('div', { class: 'modal modal-confirm', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': titleId, 'data-testid': 'confirm' },
        h('header', { class: 'modal-head' }, h('h2', { class: 'modal-title', id: titleId }, emojify(plainOf(conf.title)) || 'Are you sure?')),
        h('div', { class: 'modal-body' }, h('div', { class: 'bk-text' }, textObj(conf.text))),
        h('footer', { class: 'modal-foot' }, no, ok));
      dialog.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') { ev.stopPropagation(); finish(false); }
        trapTab(ev);
      });
      const back = h('div', { class: 'modal-backdrop modal-backdrop-top' }, dialog);
      document.body.append(back);
      ok.focus();
    });
  }

  /* --- composer --- */

  async function runCommand(text) {
    const user = state.user;
    const gen = state.gen;
    if (!user) { toast('Pick a person first.'); return; }
    const conv = currentConv();
    const minTs = nowTs(-5000);
    let res;
    try {
      res = await api.command(user, text, conv || undefined);
    } catch (e) {
      onError(e);
      return;
    }
    if (gen !== state.gen) return;
    const where = conv || res.channel;
    const name = text.split(/\s+/)[0];
    if (!res.ok) {
      const m = { ts: nowTs(), local: true, slackbot: true, text: name + ' failed with the error "' + (res.error || 'status ' + res.status) + '"' };
      m.contentKey = '\u0000';
      addLocal(where, m);
    } else if (res.response && (res.response.text || (Array.isArray(res.response.blocks) && res.response.blocks.length))) {
      const m = {
        ts: nowTs(), local: true, text: str(res.response.text),
        blocks: Array.isArray(res.response.blocks) ? res.response.blocks : undefined,
        response_type: res.response.response_type,
      };
      m.contentKey = contentKey(m);
      m.minTs = minTs;
      addLocal(where, m);
      if (state.tab !== 'messages') selectTab('messages');
    }
    if (!conv && res.channel) refreshConvs();
    refreshMessages();
    burst();
  }

  async function sendMessage(text) {
    const user = state.user;
    const conv = currentConv();
    if (!user) { toast('Pick a person first.'); return; }
    if (!conv) { toast('No conversation to post in yet; try a /trellis command first.'); return; }
    try {
      await api.postMessage(user, conv, text);
    } catch (e) {
      onError(e);
      return;
    }
    if (state.tab !== 'messages') selectTab('messages');
    burst();
  }

  function autosize() {
    const c = $('#composer');
    c.style.height = 'auto';
    c.style.height = Math.min(c.scrollHeight, 160) + 'px';
  }

  function submitComposer() {
    const c = $('#composer');
    const text = c.value.trim();
    if (!text) return;
    c.value = '';
    autosize();
    state.history.push(text);
    if (state.history.length > 50) state.history.shift();
    state.histPos = -1;
    if (text.startsWith('/')) runCommand(text);
    else sendMessage(text);
  }

  /* --- clock --- */

  const refreshClock = single(async () => { setClock(await api.clock()); tickTimes(); });

  async function moveClock(p) {
    try {
      setClock(await p);
      tickTimes();
      lastMinute = -1;
      tickTimes();
    } catch (e) {
      onError(e);
      return;
    }
    refreshPeople();
    burst();
  }

  function fillZones() {
    const sel = $('#clock-set-zone');
    const cur = sel.value;
    const zones = ['UTC'];
    const p = me();
    if (p && validTZ(p.tz) && !zones.includes(p.tz)) zones.push(p.tz);
    for (const q of state.people) if (validTZ(q.tz) && !zones.includes(q.tz)) zones.push(q.tz);
    sel.replaceChildren(...zones.map((z) => h('option', { value: z }, z === 'UTC' ? 'UTC' : z)));
    sel.value = zones.includes(cur) ? cur : (p && validTZ(p.tz) ? p.tz : 'UTC');
  }

  function openClockForm(open) {
    const form = $('#clock-set-form');
    form.hidden = !open;
    $('#clock-set-open').setAttribute('aria-expanded', String(open));
    if (open) {
      fillZones();
      $('#clock-set-input').value = wallString(simNow(), $('#clock-set-zone').value);
      $('#clock-set-input').focus();
    }
  }

  /* --- polling --- */

  const refreshUser = single(async () => {
    if (!state.user) return;
    await Promise.all([refreshViews(), state.tab === 'messages' ? refreshMessages() : refreshHome()]);
  });

  // burst refreshes quickly after the person did something: the bot answers
  // after its ack (opening a modal, posting, publishing the home tab).
  let burstTimers = [];
  function burst() {
    burstTimers.forEach(clearTimeout);
    burstTimers = [0, 250, 600, 1200, 2500].map((d) => setTimeout(refreshUser, d));
  }

  let pollTimer = 0;
  async function poll() {
    state.tick++;
    const jobs = [refreshUser()];
    if (state.tick % 2 === 0) jobs.push(refreshClock(), refreshPeople());
    if (state.tick % 4 === 0) jobs.push(refreshInfo(), refreshConvs());
    await Promise.all(jobs);
    pollTimer = setTimeout(poll, document.hidden ? 6000 : 1500);
  }

  /* --- wiring --- */

  function bind() {
    $('#tab-messages').addEventListener('click', () => selectTab('messages'));
    $('#tab-home').addEventListener('click', () => selectTab('home', { force: true }));
    $('.tabs').addEventListener('keydown', (ev) => {
      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
      const next = state.tab === 'home' ? 'messages' : 'home';
      selectTab(next, { force: next === 'home' });
      $('#tab-' + next).focus();
    });

    const c = $('#composer');
    $('#composer-form').addEventListener('submit', (ev) => { ev.preventDefault(); submitComposer(); });
    c.addEventListener('input', autosize);
    c.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submitComposer(); return; }
      const hist = state.history;
      if (ev.key === 'ArrowUp' && hist.length && (c.value === '' || state.histPos >= 0) && !c.value.includes('\n')) {
        ev.preventDefault();
        state.histPos = state.histPos < 0 ? hist.length - 1 : Math.max(0, state.histPos - 1);
        c.value = hist[state.histPos];
      } else if (ev.key === 'ArrowDown' && state.histPos >= 0) {
        ev.preventDefault();
        state.histPos++;
        if (state.histPos >= hist.length) { state.histPos = -1; c.value = ''; } else c.value = hist[state.histPos];
      }
    });

    for (const b of $$('[data-advance]')) {
      b.addEventListener('click', async () => {
        b.disabled = true;
        try { await moveClock(api.advanceClock(b.getAttribute('data-advance'))); } finally { b.disabled = false; }
      });
    }
    $('#clock-set-open').addEventListener('click', () => openClockForm($('#clock-set-form').hidden));
    $('#clock-set-cancel').addEventListener('click', () => openClockForm(false));
    $('#clock-set-zone').addEventListener('change', () => {
      // Keep the instant, show it in the newly chosen zone.
      const w = parseWall($('#clock-set-input').value);
      if (w && $('#clock-set-zone').dataset.prev) {
        const ms = zonedToUTC(...w, $('#clock-set-zone').dataset.prev);
        $('#clock-set-input').value = wallString(ms, $('#clock-set-zone').value);
      }
      $('#clock-set-zone').dataset.prev = $('#clock-set-zone').value;
    });
    $('#clock-set-zone').addEventListener('focus', () => { $('#clock-set-zone').dataset.prev = $('#clock-set-zone').value; });
    $('#clock-set-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const w = parseWall($('#clock-set-input').value);
      if (!w) { toast('Pick a date and time.'); return; }
      const ms = zonedToUTC(...w, $('#clock-set-zone').value || 'UTC');
      openClockForm(false);
      await moveClock(api.setClock(rfc3339(ms)));
    });

    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && state.modal && !confirmOpen && !ev.defaultPrevented) {
        ev.preventDefault();
        closeTop();
      }
    });

    window.addEventListener('hashchange', () => {
      const want = readHash();
      if (want.user && want.user !== state.user && directory.byId.has(want.user)) selectPerson(want.user, { conv: want.conv });
      else if (want.conv !== undefined && (want.conv || '') !== state.conv) selectConv(want.conv || dmId());
      if (want.tab && want.tab !== state.tab) selectTab(want.tab);
    });

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) { clearTimeout(pollTimer); poll(); }
    });

    setInterval(tickTimes, 1000);
  }

  async function init() {
    bind();
    const want = readHash();
    if (want.tab === 'home') {
      state.tab = 'home';
      $('#panel-messages').hidden = true;
      $('#panel-home').hidden = false;
      $('#tab-home').setAttribute('aria-selected', 'true');
      $('#tab-home').tabIndex = 0;
      $('#tab-messages').setAttribute('aria-selected', 'false');
      $('#tab-messages').tabIndex = -1;
    }
    await Promise.all([refreshInfo(), refreshClock()]);
    // Pick the person from the hash before refreshPeople falls back to the first.
    const people = await api.people().catch((e) => { onError(e); return []; });
    if (want.user && people.some((p) => p.id === want.user)) {
      directory.people = people;
      directory.byId = new Map(people.map((p) => [p.id, p]));
      selectPerson(want.user, { conv: want.conv, force: true });
    }
    await refreshPeople();
    renderWho();
    tickTimes();
    pollTimer = setTimeout(poll, 1500);
  }

  // Exposed for debugging from the console and for tests; the page does not
  // rely on it.
  window.trellisSandbox = { api, mrkdwn, renderBlocks, renderMessage, gatherValues, state };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

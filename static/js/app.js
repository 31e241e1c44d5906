// corsdoctor dashboard enhancements. Everything here is optional: without
// JavaScript the form posts normally, the raw header textarea is the header
// editor, and snippets are plain text to select. The page's CSP allows only
// this file (script-src 'self'), so it never builds HTML from strings: user
// text only ever reaches the DOM through textContent and value.
(function () {
  'use strict';

  // Header names whose values corsdoctor always redacts (diagnose.AlwaysSecret).
  var ALWAYS_SECRET = ['authorization', 'cookie', 'proxy-authorization'];

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }

  function $all(sel, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(sel));
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'className') {
          e.className = attrs[k];
        } else {
          e.setAttribute(k, attrs[k]);
        }
      });
    }
    if (text != null) {
      e.textContent = text;
    }
    return e;
  }

  // ---- announcements for screen readers ------------------------------

  var live;
  function announce(msg) {
    if (!live) {
      live = el('div', { className: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
      document.body.appendChild(live);
    }
    live.textContent = '';
    window.setTimeout(function () {
      live.textContent = msg;
    }, 30);
  }

  // ---- clipboard -------------------------------------------------------

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-http deployments have no async clipboard: fall back to a
    // temporary textarea and the legacy copy command.
    return new Promise(function (resolve, reject) {
      var ta = el('textarea', { readonly: '', 'aria-hidden': 'true', className: 'visually-hidden' });
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(ta);
      if (ok) {
        resolve();
      } else {
        reject(new Error('copy failed'));
      }
    });
  }

  function flash(btn, label) {
    var old = btn.getAttribute('data-label') || btn.textContent;
    btn.setAttribute('data-label', old);
    btn.classList.add('copied');
    btn.textContent = label;
    window.setTimeout(function () {
      btn.classList.remove('copied');
      btn.textContent = old;
    }, 1600);
  }

  function initCopy() {
    $all('[data-copy-target]').forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener('click', function () {
        var target = document.getElementById(btn.getAttribute('data-copy-target'));
        if (!target) {
          return;
        }
        copyText(target.textContent).then(function () {
          flash(btn, 'Copied');
          announce('Copied to the clipboard');
        }, function () {
          var range = document.createRange();
          range.selectNodeContents(target);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          flash(btn, 'Press Ctrl+C');
        });
      });
    });
    $all('a[data-copy-text]').forEach(function (a) {
      a.addEventListener('click', function (ev) {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || ev.button !== 0) {
          return;
        }
        ev.preventDefault();
        copyText(a.getAttribute('data-copy-text')).then(function () {
          flash(a, 'Link copied');
          announce('Share link copied to the clipboard');
        }, function () {
          window.location.href = a.href;
        });
      });
    });
  }

  // ---- header editor ---------------------------------------------------

  // parseBlock mirrors the server's parser: one "Name: value" per line;
  // blank lines, HTTP start lines and HTTP/2 pseudo-headers are skipped.
  function parseBlock(text) {
    var rows = [];
    text.split(/\r?\n/).forEach(function (line) {
      if (/^\s*$/.test(line)) {
        return;
      }
      var t = line.trim();
      if (/^[A-Za-z]+ \S+ HTTP\/\d(\.\d)?$/.test(t) || /^HTTP\/\d/.test(t) || t.charAt(0) === ':') {
        return;
      }
      var i = line.indexOf(':');
      if (i < 0) {
        rows.push({ raw: line });
        return;
      }
      rows.push({ name: line.slice(0, i).trim(), value: line.slice(i + 1).trim() });
    });
    return rows;
  }

  function initHeaderEditor() {
    var editor = $('#header-editor');
    var ta = $('#f-headers');
    var secretField = $('#f-secret');
    var originField = $('#f-origin');
    if (!editor || !ta) {
      return;
    }
    var list = el('div', { className: 'header-rows' });
    var actions = el('div', { className: 'header-editor-actions' });
    var addBtn = el('button', { type: 'button', className: 'btn btn-small', 'data-testid': 'add-header' }, '+ Add header');
    var rawBtn = el('button', { type: 'button', className: 'btn btn-small', 'aria-expanded': 'false', 'aria-controls': 'f-headers', 'data-testid': 'toggle-raw' }, 'Paste a raw block');
    actions.appendChild(addBtn);
    actions.appendChild(rawBtn);
    editor.appendChild(list);
    editor.appendChild(actions);
    editor.hidden = false;

    var hasError = ta.getAttribute('aria-invalid') === 'true';
    // With rows available the textarea becomes the paste target; keep it
    // open when it carries an error, so the marked text stays visible.
    ta.hidden = !hasError;
    rawBtn.setAttribute('aria-expanded', String(hasError));

    function secretNames() {
      if (!secretField) {
        return [];
      }
      return secretField.value.split(',').map(function (s) {
        return s.trim();
      }).filter(Boolean);
    }

    function setSecret(name, on) {
      if (!secretField || !name) {
        return;
      }
      var names = secretNames().filter(function (n) {
        return n.toLowerCase() !== name.toLowerCase();
      });
      if (on) {
        names.push(name);
      }
      secretField.value = names.join(', ');
    }

    function isSecret(name) {
      var lower = name.toLowerCase();
      return secretNames().some(function (n) {
        return n.toLowerCase() === lower;
      });
    }

    function serialize() {
      var lines = [];
      $all('.header-row', list).forEach(function (row) {
        var raw = row.getAttribute('data-raw');
        var name = $('.hn', row).value.trim();
        var value = $('.hv', row).value;
        if (raw !== null && name === raw && value === '') {
          lines.push(raw);
          return;
        }
        if (name === '' && value.trim() === '') {
          return;
        }
        lines.push(name + ': ' + value.trim());
      });
      ta.value = lines.join('\n');
    }

    var counter = 0;
    function addRow(h, focus) {
      counter++;
      var id = 'hr-' + counter;
      var row = el('div', { className: 'header-row', 'data-testid': 'header-row' });
      var name = el('input', { type: 'text', className: 'hn', id: id + '-n', 'aria-label': 'Header name', placeholder: 'Name', autocomplete: 'off', spellcheck: 'false' });
      var value = el('input', { type: 'text', className: 'hv', id: id + '-v', 'aria-label': 'Header value', placeholder: 'value', autocomplete: 'off', spellcheck: 'false' });
      var secretLabel = el('label', { className: 'secret-toggle', title: 'Redact this value before storing the diagnosis' });
      var secret = el('input', { type: 'checkbox', className: 'hs' });
      secretLabel.appendChild(secret);
      secretLabel.appendChild(document.createTextNode('secret'));
      var remove = el('button', { type: 'button', className: 'icon-btn', 'aria-label': 'Remove header', title: 'Remove header' }, '×');
      if (h.raw != null) {
        name.value = h.raw;
        row.setAttribute('data-raw', h.raw);
      } else {
        name.value = h.name || '';
        value.value = h.value || '';
      }
      function syncSecret() {
        var n = name.value.trim();
        var always = ALWAYS_SECRET.indexOf(n.toLowerCase()) >= 0;
        secret.disabled = always;
        secret.checked = always || (n !== '' && isSecret(n));
        secretLabel.title = always ? 'Always redacted before storage' : 'Redact this value before storing the diagnosis';
      }
      var lastName = name.value.trim();
      name.addEventListener('input', function () {
        var n = name.value.trim();
        if (lastName && isSecret(lastName) && ALWAYS_SECRET.indexOf(lastName.toLowerCase()) < 0) {
          setSecret(lastName, false);
          if (n) {
            setSecret(n, true);
          }
        }
        lastName = n;
        row.removeAttribute('data-raw');
        syncSecret();
        serialize();
      });
      value.addEventListener('input', function () {
        row.removeAttribute('data-raw');
        serialize();
      });
      secret.addEventListener('change', function () {
        setSecret(name.value.trim(), secret.checked);
      });
      remove.addEventListener('click', function () {
        var next = row.nextElementSibling || row.previousElementSibling;
        list.removeChild(row);
        serialize();
        if (next) {
          $('.hn', next).focus();
        } else {
          addBtn.focus();
        }
      });
      syncSecret();
      row.appendChild(name);
      row.appendChild(value);
      row.appendChild(secretLabel);
      row.appendChild(remove);
      list.appendChild(row);
      if (focus) {
        name.focus();
      }
    }

    function rebuild() {
      list.textContent = '';
      var rows = parseBlock(ta.value);
      rows.forEach(function (h) {
        addRow(h, false);
      });
      if (rows.length === 0) {
        addRow({}, false);
      }
    }

    addBtn.addEventListener('click', function () {
      addRow({}, true);
    });
    rawBtn.addEventListener('click', function () {
      var show = ta.hidden;
      ta.hidden = !show;
      rawBtn.setAttribute('aria-expanded', String(show));
      rawBtn.textContent = show ? 'Hide the raw block' : 'Paste a raw block';
      if (show) {
        ta.focus();
      }
    });
    ta.addEventListener('input', function () {
      rebuild();
      if (originField && originField.value.trim() === '') {
        var m = /^\s*origin\s*:\s*(\S+)\s*$/im.exec(ta.value);
        if (m) {
          originField.value = m[1];
        }
      }
    });
    if (secretField) {
      secretField.addEventListener('input', function () {
        $all('.header-row', list).forEach(function (row) {
          var n = $('.hn', row).value.trim();
          var box = $('.hs', row);
          if (!box.disabled) {
            box.checked = n !== '' && isSecret(n);
          }
        });
      });
    }
    rebuild();
    editor._rebuild = rebuild;
  }

  // ---- presets ---------------------------------------------------------

  function initPresets() {
    var form = $('#diagnose-form');
    if (!form) {
      return;
    }
    $all('a[data-preset]').forEach(function (a) {
      a.addEventListener('click', function (ev) {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) {
          return;
        }
        ev.preventDefault();
        // Fill the request shape but keep the URL and origin the user typed.
        $('#f-method').value = a.getAttribute('data-method') || 'GET';
        $('#f-headers').value = a.getAttribute('data-headers') || '';
        $('#f-body').value = a.getAttribute('data-body') || '';
        var creds = a.getAttribute('data-credentials') || 'same-origin';
        $all('input[name="credentials"]').forEach(function (r) {
          r.checked = r.value === creds;
        });
        var editor = $('#header-editor');
        if (editor && editor._rebuild) {
          editor._rebuild();
        }
        $all('a[data-preset]').forEach(function (o) {
          o.classList.toggle('active', o === a);
          o.removeAttribute('aria-current');
        });
        a.setAttribute('aria-current', 'true');
        announce('Preset applied: ' + a.textContent);
      });
    });
  }

  // ---- submit progress -------------------------------------------------

  function initProgress() {
    var form = $('#diagnose-form');
    var box = $('#progress');
    if (!form || !box) {
      return;
    }
    var text = $('.progress-text', box);
    var btn = $('button[type="submit"]', form);
    var limit = parseInt(form.getAttribute('data-timeout'), 10) || 0;
    var timer = null;
    var busy = false;

    function reset() {
      busy = false;
      box.hidden = true;
      if (timer) {
        window.clearInterval(timer);
        timer = null;
      }
      if (btn) {
        btn.disabled = false;
        btn.textContent = 'Diagnose';
      }
    }

    form.addEventListener('submit', function (ev) {
      if (busy) {
        ev.preventDefault();
        return;
      }
      busy = true;
      var started = Date.now();
      function tick() {
        var s = Math.floor((Date.now() - started) / 1000);
        var msg = 'Probing the target… ' + s + ' s';
        if (limit > 0) {
          msg += ' (gives up after ' + limit + ' s)';
        }
        text.textContent = msg;
      }
      tick();
      box.hidden = false;
      if (box.scrollIntoView) {
        box.scrollIntoView({ block: 'nearest' });
      }
      timer = window.setInterval(tick, 1000);
      // Let the normal navigation carry the POST (and its 303); only
      // disable the button after the browser has read the form.
      window.setTimeout(function () {
        if (btn) {
          btn.disabled = true;
          btn.textContent = 'Diagnosing…';
        }
      }, 0);
    });
    // Coming back with the back button restores the page from the
    // back/forward cache with the indicator still running.
    window.addEventListener('pageshow', function (ev) {
      if (ev.persisted) {
        reset();
      }
    });
  }

  // The paste box: pasting into it is the whole gesture, so submit it at
  // once (POST /import answers with the form filled in). Typing still
  // needs the button, and without JavaScript the button is the way.
  function initPasteBox() {
    var form = document.getElementById('paste-form');
    var box = document.getElementById('f-paste');
    if (!form || !box || typeof form.requestSubmit !== 'function') {
      return;
    }
    box.addEventListener('paste', function () {
      // The pasted text lands in the value after this event.
      setTimeout(function () {
        if (box.value.trim() !== '') {
          form.requestSubmit();
        }
      }, 0);
    });
  }

  function init() {
    initPasteBox();
    initCopy();
    initHeaderEditor();
    initPresets();
    initProgress();
    var summary = document.getElementById('error-summary');
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();

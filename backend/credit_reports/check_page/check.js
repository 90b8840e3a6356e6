// The public check of a credit report (SPEC §7a). The code comes from the URL fragment, which the browser
// never sends to any server, and is posted in a JSON body; it is then taken out of the address bar so it
// stays out of the history. Results are written with textContent only.
(function () {
  'use strict';

  var STATUS = { valid: '有效', expired: '已过有效期', revoked: '已撤销' };
  var ERRORS = {
    404: '未找到与该验证码对应的报告，请核对验证码后重试。',
    422: '验证码格式不正确：应为 20 位字母和数字（如 XXXX-XXXX-XXXX-XXXX-XXXX）。',
    429: '核验过于频繁，请稍后再试。'
  };

  function $(id) { return document.getElementById(id); }

  function localTime(text) {
    var match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || '');
    return match ? match[1] + '年' + match[2] + '月' + match[3] + '日 ' + match[4] + ':' + match[5] : text;
  }

  function stars(count) {
    var text = '';
    for (var i = 1; i <= 5; i += 1) { text += i <= count ? '★' : '☆'; }
    return text + '（' + count + ' 星）';
  }

  function show(result) {
    $('error').hidden = true;
    var status = $('status');
    status.textContent = '报告状态：' + (STATUS[result.status] || result.status);
    status.className = 'status ' + result.status;
    $('masked-name').textContent = result.masked_name;
    $('stars').textContent = stars(result.stars);
    $('level-name').textContent = result.level_name;
    $('purpose').textContent = result.purpose;
    $('issued-at').textContent = localTime(result.issued_at);
    $('result').hidden = false;
  }

  function fail(message) {
    $('result').hidden = true;
    var error = $('error');
    error.textContent = message;
    error.hidden = false;
  }

  function check(code) {
    var button = $('submit');
    button.disabled = true;
    fetch('/api/v1/public/credit-reports/check', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept-Language': 'zh-CN' },
      body: JSON.stringify({ code: code }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) { show(body); } else { fail(ERRORS[response.status] || '系统繁忙，请稍后再试。'); }
      });
    }).catch(function () {
      fail('网络异常，请检查网络后重试。');
    }).then(function () {
      button.disabled = false;
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = $('check-form');
    var input = $('code');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var code = input.value.trim();
      if (code) { check(code); }
    });
    var fragment = decodeURIComponent(window.location.hash.replace(/^#/, ''));
    if (fragment) {
      history.replaceState(null, '', window.location.pathname + window.location.search);
      input.value = fragment;
      check(fragment);
    }
  });
}());

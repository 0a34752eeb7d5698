// The hosted checkout page's own script (served as /assets/checkout.js, see checkout.py).
//
// It sends the card straight to ACME's CORS checkout with the publishable key, so payment data
// never reaches Usher's server, and then tells Usher which order was made (Usher checks that
// with ACME itself). One payment attempt is one x-acme-request-uuid, kept in sessionStorage:
// a double click, a retry after a lost answer or a refresh reuses it, and ACME answers a
// repeat of a completed attempt with 409 instead of charging twice. Only a definite refusal
// (a declined card, a typo) starts a new attempt with a new uuid.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("checkout-config").textContent);
  var texts = config.texts;
  var form = document.getElementById("pay-form");
  var button = document.getElementById("pay");
  var errorBox = document.getElementById("error");
  var attemptKey = "usher-checkout-attempt:" + config.cartId;
  var busy = false;

  function attempt() {
    var uuid = sessionStorage.getItem(attemptKey);
    if (!uuid) {
      uuid = crypto.randomUUID();
      sessionStorage.setItem(attemptKey, uuid);
    }
    return uuid;
  }

  function value(id) {
    return document.getElementById(id).value.trim();
  }

  function fail(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    busy = false;
    button.disabled = false;
    button.textContent = texts.pay;
  }

  function done(number, chat) {
    form.hidden = true;
    var box = document.getElementById("done");
    var line = document.createElement("p");
    line.id = "order-number";
    line.textContent = texts.done.replace("{number}", number);
    var note = document.createElement("p");
    note.textContent = chat ? texts.doneChat : texts.doneMail;
    box.appendChild(line);
    box.appendChild(note);
    box.hidden = false;
  }

  function captchaToken() {
    if (!config.captchaSiteKey) {
      return Promise.resolve(config.sandboxCaptcha);
    }
    return new Promise(function (resolve, reject) {
      window.grecaptcha.ready(function () {
        window.grecaptcha.execute(config.captchaSiteKey, { action: "checkout" }).then(resolve, reject);
      });
    });
  }

  function expiry(text) {
    var digits = text.replace(/\D/g, "");
    return digits.length === 4 ? digits : digits.length === 6 ? digits.slice(0, 2) + digits.slice(4) : "";
  }

  function payload() {
    var body = {
      shoppingCartId: config.cartId,
      email: value("email"),
      contactFirstName: value("first-name"),
      contactLastName: value("last-name"),
      manualEntryCardNumber: value("card-number").replace(/\D/g, ""),
      expDate: expiry(value("card-expiry")),
      cvc: value("card-cvc"),
      chargeAmount: config.amount,
      notes: config.note
    };
    var phone = value("phone");
    if (phone) { body.phoneNumber = phone; }
    return body;
  }

  function refusal(type) {
    if (type === "PAYMENT_DECLINED") { return texts.declined; }
    if (type === "INVALID_CARD" || type === "CARD_EXPIRED" || type === "PAYMENT_REQUIRED") {
      return texts.invalidCard;
    }
    if (type === "CHARGE_AMOUNT_MISMATCH" || type === "CART_NOT_FOUND" || type === "EMPTY_CART" ||
        type === "ENTITLEMENTS_NOT_MET" || type === "SOLD_OUT") {
      return texts.changed;
    }
    if (type === "INVALID_CHECKOUT") { return texts.missing; }
    return texts.failed;
  }

  // Ask Usher to confirm the order: by its id when ACME said it, else by the buyer's email.
  function confirm(report, knownNumber) {
    return fetch(config.donePath, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-Usher-Page": "1" },
      body: JSON.stringify(report)
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) { done(result.body.orderNumber, result.body.chat); return; }
      if (knownNumber) { done(knownNumber, false); return; }
      fail(result.body.error || texts.failed);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var body = payload();
    if (!body.email || !body.contactFirstName || !body.contactLastName) {
      fail(texts.missing);
      return;
    }
    busy = true;
    errorBox.hidden = true;
    button.disabled = true;
    button.textContent = texts.paying;
    var uuid = attempt();
    captchaToken().then(function (captcha) {
      return fetch(config.acmeUrl + "/v2/b2c/cors/checkout", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
        headers: {
          "Content-Type": "application/json",
          "x-acme-pub-api-key": config.pubKey,
          "x-b2c-tenant-id": config.tenantId,
          "x-acme-request-uuid": uuid,
          "x-acme-captcha-token": captcha
        },
        body: JSON.stringify(body)
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    }).then(function (result) {
      if (result.status === 200 && result.body.id) {
        return confirm({ orderId: String(result.body.id) }, result.body.orderNumber);
      }
      if (result.status === 409) {
        // This attempt already went through (an earlier answer was lost): find that order.
        return confirm({ email: body.email }, null);
      }
      if (result.status >= 400 && result.status < 500 && result.status !== 429) {
        sessionStorage.removeItem(attemptKey);  // refused: nothing was charged
        fail(refusal(result.body.type));
        return;
      }
      fail(texts.failed);  // unknown outcome: keep the attempt, so a retry cannot pay twice
    }).catch(function () { fail(texts.failed); });
  });
}());

// Passkeys: the browser's WebAuthn calls for the login and passkeys pages.
// The options come from the page's JSON block; the answer goes into the
// form's hidden `credential` field and the form is posted, CSRF token and
// all. Allowed by its hash in the CSP; no fetch, no other script.
(() => {
  "use strict";
  const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
  const text = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const options = (id) => JSON.parse(document.getElementById(id).textContent);
  const ids = (list) => (list || []).map((c) => ({ ...c, id: bytes(c.id) }));
  const json = (cred) => {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    const r = cred.response;
    const response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      response.userHandle = r.userHandle ? text(r.userHandle) : null;
    }
    return { id: cred.id, rawId: text(cred.rawId), type: cred.type, response,
      clientExtensionResults: cred.getClientExtensionResults() };
  };
  const post = (form, cred) => {
    form.elements.credential.value = JSON.stringify(json(cred));
    form.submit();
  };
  const say = (form, message) => {
    const status = form.querySelector(".passkey-status");
    status.textContent = message;
    status.hidden = false;
  };
  const ready = (form) => {
    if (!form || !window.PublicKeyCredential) return false;
    form.querySelectorAll("[data-needs-script]").forEach((e) => { e.hidden = false; });
    return true;
  };

  const login = document.getElementById("passkey-login");
  if (ready(login)) {
    const o = options("passkey-login-options");
    let asking = null;
    const get = (mediation) => {
      if (asking) asking.abort();
      asking = new AbortController();
      const publicKey = { ...o, challenge: bytes(o.challenge), allowCredentials: ids(o.allowCredentials) };
      return navigator.credentials.get({ publicKey, mediation, signal: asking.signal });
    };
    const remember = document.getElementById("remember");
    const signIn = (cred) => {
      if (remember && remember.checked) login.elements.remember.value = "on";
      post(login, cred);
    };
    // Autofill: saved passkeys are offered in the username field's list.
    // Not again on the page that says the last one failed.
    if (login.dataset.autofill !== "off" && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable()
        .then((yes) => yes && get("conditional").then(signIn, () => {}));
    }
    login.addEventListener("submit", (e) => {
      if (login.elements.credential.value) return;
      e.preventDefault();
      get("optional").then(signIn, () => say(login, "No passkey was used. Try again or use your password."));
    });
  }

  const add = document.getElementById("passkey-add");
  if (ready(add)) {
    add.addEventListener("submit", (e) => {
      if (add.elements.credential.value) return;
      e.preventDefault();
      const o = options("passkey-create-options");
      const publicKey = { ...o, challenge: bytes(o.challenge), user: { ...o.user, id: bytes(o.user.id) },
        excludeCredentials: ids(o.excludeCredentials) };
      navigator.credentials.create({ publicKey })
        .then((cred) => post(add, cred), () => say(add, "No passkey was created. This browser or device may already have one for this site."));
    });
  }
})();

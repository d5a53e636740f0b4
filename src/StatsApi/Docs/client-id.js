// A link from the developer portal carries the application's client id (?client_id=...): the Authorize
// dialog's client-credentials form starts with it filled in, and the developer types only the secret.
window.addEventListener("load", function () {
    var clientId = new URLSearchParams(window.location.search).get("client_id");
    if (!clientId || !/^[A-Za-z0-9]{32}$/.test(clientId)) {
        return;
    }
    // After the page's own start-up, which runs on the same event and makes window.ui.
    setTimeout(function () {
        if (window.ui) {
            window.ui.initOAuth({ clientId: clientId });
        }
    }, 0);
});

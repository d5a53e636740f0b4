// The copy buttons: without script the fields are still there to select and copy by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) {
        return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
            button.textContent = "Copied";
        });
    });
});

// Small behaviours of forms, as listeners rather than inline handlers (the Content-Security-Policy
// forbids inline scripts): a select that submits its form when changed, a select that goes to a page.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches("select[data-submit-on-change]")) {
    target.form.submit();
  } else if (target.matches("select[data-go-to]") && target.value) {
    location.href = target.getAttribute("data-go-to") + encodeURIComponent(target.value);
  }
});

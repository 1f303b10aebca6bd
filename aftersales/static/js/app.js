// Small progressive enhancements; every page works without them.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) {
    el.form.requestSubmit();
  }
});
document.addEventListener("click", (event) => {
  const el = event.target.closest && event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) {
    event.preventDefault();
  }
});

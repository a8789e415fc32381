// Selects marked .autosubmit send their form on change (the button stays for keyboards
// and for browsers without script).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.classList.contains("autosubmit")) {
    target.form.requestSubmit();
  }
});

// Small behaviours without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.dataset.autosubmit !== undefined) {
    target.form.submit();
  }
});

// A long list to choose from (select[data-searchable]): a search box above it narrows the
// options to those whose text holds every typed word, in any order and letter case.
document.querySelectorAll("select[data-searchable]").forEach((select) => {
  const search = document.createElement("input");
  search.type = "search";
  search.className = "picker-search";
  search.setAttribute("autocomplete", "off");
  const label = select.labels.length ? select.labels[0].textContent.trim() : "";
  search.setAttribute("aria-label", `${document.documentElement.dataset.searchWord || "Search"}: ${label}`);
  search.setAttribute("aria-controls", select.id);
  select.before(search);
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    for (const option of select.options) {
      const text = option.textContent.toLowerCase();
      const match = option.value === "" || words.every((word) => text.includes(word));
      option.hidden = !match;
      if (match && option.value !== "" && first === null) first = option;
    }
    const current = select.selectedOptions[0];
    if (words.length && first && (!current || current.value === "" || current.hidden)) {
      first.selected = true;
    }
  });
});

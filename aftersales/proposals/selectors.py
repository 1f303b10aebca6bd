"""Every read about proposals that crosses rows (STYLE rule 4): selectors own
select_related / prefetch_related, so a page's query count does not grow with
its rows."""

# --- list, search, summary (owned by the list/search work) -------------------


# --- detail and timeline (owned by the detail-page work) ---------------------

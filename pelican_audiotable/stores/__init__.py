"""What a build keeps for the next one, below ``CACHE_PATH/audiotable``: facts about
clips by their content (:mod:`.clips`) and annotated pages (:mod:`.pages`), both
in versioned JSON written atomically (:mod:`.jsonfile`)."""

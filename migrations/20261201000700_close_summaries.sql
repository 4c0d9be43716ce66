-- Closing summaries (issue 14): `/close HH:MM` per merchant, and which day's summary is done.
--
-- One row per merchant that ever used /close. `close_minute` is the Phnom Penh time of day
-- (minutes after midnight, 0–1439); NULL is `/close off`. `done_on` is the Phnom Penh date
-- (YYYY-MM-DD) of the last closing time handled: the loop claims a closing time with a
-- guarded UPDATE (`done_on < $date`) and queues the summary in the same transaction, so a
-- summary is queued at most once per day whatever the restarts or racing tasks.
CREATE TABLE close_settings (
    merchant_id   INTEGER PRIMARY KEY REFERENCES merchants (id),
    close_minute  INTEGER CHECK (close_minute IS NULL OR close_minute BETWEEN 0 AND 1439),
    done_on       TEXT CHECK (done_on IS NULL OR length(done_on) = 10),
    updated_at    INTEGER NOT NULL
);
CREATE INDEX close_settings_on ON close_settings (close_minute) WHERE close_minute IS NOT NULL;

# khqr-bot — English. Keep every message id in sync with locales/km/khqr_bot.ftl
# (tests/it/i18n/locales.rs fails otherwise).

## Command menu (Telegram shows these next to each command)
cmd-start = Welcome and first steps
cmd-setup = Connect your shop and Bakong account
cmd-charge = Ask for a payment: /charge 5 USD coffee
cmd-settings = Show your shop settings
cmd-token = Replace your Bakong API token
cmd-lang = Language: /lang en or /lang km
cmd-currency = Default currency: /currency KHR or /currency USD
cmd-cancel = Stop the current setup
cmd-help = How to use this bot

## /start and /help
start-new =
    Hello {$name}! I make Bakong KHQR codes so your customers can pay you from any banking app.
    To begin, send /setup — it takes about two minutes.
start-ready =
    Welcome back, {$shop}! Send /charge with an amount, for example:
    /charge 5 USD iced coffee
help-title = How to use this bot
help-body =
    /setup — connect your Bakong account (account ID, shop name, city, API token)
    /charge 5 — ask for 5 in your default currency
    /charge 5 USD iced coffee — with a note for you and your customer
    /charge 20000 KHR — ask for 20,000 riel; 5usd, $5, ៛5000 and 5,000 KHR work too
    /history — payments received today; /history yesterday, week, month or 2025-01-31
    /pending — payment requests still open
    /check <hash> — verify a transaction shown on the customer's phone
    /close 21:30 — a closing summary every day at 21:30; /close off stops it
    /export month — the month's charges as CSV and Excel; also today, week, 2026-11, 2026-11-01..2026-11-15
    /link 5 USD iced coffee — a pay link and poster: every buyer gets their own QR; /links to pause or close them
    /link 5 USD cake uses 20 until 2026-12-31 — at most 20 sold, until that day; /link any USD min 1 max 50 USD gift — the buyer types the amount, within the bounds
    /settings — see your shop details
    /token — replace an expired Bakong token
    /currency KHR — charge in riel when you write no currency
    /lang km — ភាសាខ្មែរ · /lang en — English
    /cancel — stop the current setup
    Each QR code is valid for {$minutes} minutes.
unknown-message = I did not understand that. Send /help to see what I can do.
error-internal = Sorry, something went wrong on my side. Please try again.

## /setup wizard
setup-private-only = For your safety, please do this in a private chat with me.
setup-ask-account =
    Step 1 of 4 — your Bakong account ID. It looks like name@bank, for example: sokha@aclb
    You find it in the Bakong / KHQR profile of your banking app.
setup-account-invalid = “{$value}” is not a Bakong account ID. It must look like name@bank: one @, no spaces, at most 32 characters. Please send it again.
setup-ask-shop = Step 2 of 4 — your shop name, as customers will see it in their banking app (at most {$max} characters).
setup-shop-empty = The shop name cannot be empty. Please send it again.
setup-shop-too-long = That name is too long: at most {$max} characters. Please send a shorter one.
setup-shop-hidden = That name contains invisible characters or characters that reverse the text (such as right-to-left marks), so it would not read as written. Please type it again without them.
setup-ask-city = Step 3 of 4 — your city (at most {$max} characters), for example: Phnom Penh
setup-city-empty = The city cannot be empty. Please send it again.
setup-city-too-long = That city name is too long: at most {$max} characters. Please send a shorter one.
setup-city-hidden = That city name contains invisible characters or characters that reverse the text (such as right-to-left marks), so it would not read as written. Please type it again without them.
setup-ask-token =
    Step 4 of 4 — your Bakong API token. Get it at https://api-bakong.nbc.gov.kh (register, then copy the token from the email).
    Paste it here: I will delete your message right away and keep the token encrypted.
setup-text-only = Please answer with a text message.
setup-account-not-found = Bakong has no account {$account}. Please send your account ID again (name@bank).
setup-done =
    All set! ✅
    Shop: {$shop} ({$city})
    Account: {$account}
    Token valid until: {$expiry}
    Now try: /charge 5 USD
setup-cancelled = Setup stopped; nothing was changed. Send /setup to start again.
cancel-nothing = There is nothing to cancel.

## Bakong API token
token-deleted = I deleted the message with your token.
token-malformed = This does not look like a Bakong API token (a long text in three parts separated by dots). Please paste the token again.
token-expired = This token expired on {$date}. Please renew it and paste the new one.
token-rejected = Bakong did not accept this token: it is wrong or has expired. Please paste a valid token.
token-checks-too-many = You sent many tokens to check in a short time. Nothing was stored; please wait {$minutes} minutes, then send the token again.
bakong-geoblocked = Bakong refused the request (it only answers from Cambodia). Ask whoever runs this bot to set BAKONG_API_URL to a server in Cambodia, then send the token again.
bakong-unavailable = I could not check this token with Bakong just now, so nothing was stored. Please send it again in a minute.
token-ask = Paste your new Bakong API token. I will delete your message right away.
token-needs-setup = Please finish /setup first.
token-replaced = Token updated ✅ It is valid until {$expiry}.
token-account-gone = Bakong does not know the account {$account} any more. Please send /setup to connect your account again.
token-outside-wizard = That looked like a Bakong token, so I deleted it from the chat. To store a new token, send /token first (or /setup if you have not set up yet).
expiry-unknown = no date given

## /settings and /lang
settings =
    Shop: {$shop}
    City: {$city}
    Bakong account: {$account}
    Default currency: {$currency}
    Language: English
    API token: {$token} (valid until {$expiry})
settings-not-configured = You have not set up your shop yet. Send /setup.
lang-set = I will speak English from now on.
currency-set = /charge without a currency now asks in {$currency}.
currency-usage = Send /currency USD or /currency KHR.
lang-usage = Send /lang en for English or /lang km for Khmer.

## /charge
charge-needs-setup = Please set up your shop first: send /setup.
charge-token-expired = Bakong no longer accepts your token (it expired or was replaced), so I cannot confirm payments. Please send /token with a new one first.
charge-usage = Tell me how much, for example: /charge 5 USD iced coffee or /charge 20000 KHR
charge-error-amount = “{$value}” is not an amount. For example: /charge 5.50 USD or /charge 20000 KHR
charge-error-usd-decimals = Dollar amounts have at most 2 decimals, for example 4.50.
charge-error-khr-whole = Riel amounts must be whole numbers, for example 5000.
charge-error-not-positive = The amount must be more than zero.
charge-error-too-large = That amount is too large: at most {$max}.
charge-error-currency = KHQR only takes USD and KHR, not {$code}.
charge-error-note = The note is too long: {$len} characters, at most {$max}. Please write it shorter.
charge-error-two-currencies = The amount names two currencies, {$first} and {$second}. Please write only one.
charge-error-separators = “{$value}”: use commas only between groups of three digits (5,000) and a dot for decimals (5.50).
charge-error-note-control = The note contains characters that cannot be shown. Please write it again.
charge-caption =
    💵 {$amount} — {$shop}
    {$label}
    ⏳ Valid until {$time} (Phnom Penh time)
    Scan with any banking app that supports KHQR.
charge-card-expires = Valid until {$time}
charge-send-uncertain = Telegram did not confirm that the QR code arrived. If you can see it, it is valid until {$time} and I am watching it; if not, send /charge again.
charge-send-failed = I could not send the QR code, so nothing was charged. Please try again.
button-check = 🔄 Check now
button-cancel = ✖️ Cancel

## Buttons under a QR code
callback-not-yours = This payment is not yours.
callback-unknown = I cannot find this payment.
callback-cancelled = Payment cancelled.
callback-pending = Not paid yet. The QR code is valid until {$time}.
callback-paid = This payment has already been received.
callback-expired = This QR code has expired.
callback-failed = This payment failed.
callback-was-cancelled = This payment was already cancelled.
flood-press-dropped = Too many taps at once. Please wait a moment and tap again.

## Payment watcher: the QR message once settled, notices
status-paid-title = PAID
status-paid-caption =
    ✅ Paid {$amount} — {$shop}
    👤 From {$payer}
    🕒 {$time} · Ref {$hash}
status-mismatch-title = NOT RECEIVED
status-mismatch-caption =
    ⚠️ Not received: a transfer for this QR code did not reach your account.
    Expected {$amount} to {$account}.
    Bakong reports {$arrived} to {$to} from {$payer} (Ref {$hash}).
    It is not counted. Please check with your customer.
status-underpaid-title = PAID IN PART
status-underpaid-caption =
    ⚠️ Paid in part — {$amount} — {$shop}
    💰 Received {$arrived}: {$missing} missing.
    👤 From {$payer}
    🕒 {$time} · Ref {$hash}
status-other-currency-title = OTHER CURRENCY
status-other-currency-caption =
    ⚠️ {$arrived} arrived for {$amount} — {$shop}
    The money is in your account, in another currency than the bill's. Please check with your customer.
    👤 From {$payer} · Ref {$hash}
status-caption-over = 💰 Received {$arrived}: {$excess} more than asked.
status-caption-payments = 💰 Received {$arrived} in {$count} payments.
status-failed-title = FAILED
status-failed-caption =
    ❌ Payment failed — {$amount} — {$shop}
    Send /charge for a new QR code.
status-expired-title = EXPIRED
status-expired-caption =
    ⌛ Expired — {$amount} — {$shop}
    No payment arrived before {$time}. Send /charge for a new QR code.
status-cancelled-title = CANCELLED
status-cancelled-caption = ✖️ Cancelled — {$amount} — {$shop}
status-line-from = From {$payer}
status-line-time = {$time}
status-line-ref = Ref {$hash}
status-line-received = Received {$arrived} to {$to}
status-line-received-of = Received {$arrived} of {$amount}
status-line-missing = Missing {$missing}
status-line-over = Received {$arrived} — {$excess} more than asked
button-charge-missing = ➕ Charge the missing {$missing}
status-line-expired = Not paid before {$time}
notice-token-refused = Bakong refused your API token (it has expired or is wrong), so I cannot confirm payments. Please send /token with a new token.
notice-token-expiring = Your Bakong API token expires in {$days} day(s), on {$date}. Get a new one on the Bakong Open API website (Renew), then send it with /token.
notice-token-expiring-email = Your Bakong API token expires in {$days} day(s), on {$date}. Renew it on the Bakong Open API website with your registered email (NBC sends the new token there), then send it with /token.

## /history, /pending, /check, "Check now"
cmd-history = Payments received: /history today, week, month
cmd-pending = Open payment requests
cmd-check = Verify a receipt: /check <hash> or /check <short hash> <amount>
history-usage = Send /history, /history yesterday, /history week, /history month or /history 2025-01-31.
history-future = {$date} has not come yet.
history-title-today = 📊 Today ({$date})
history-title-yesterday = 📊 Yesterday ({$date})
history-title-day = 📊 Day {$date}
history-title-week = 📊 This week ({$from} – {$to})
history-title-month = 📊 This month ({$from} – {$to})
history-no-payments = No payments received.
history-total = 💵 {$currency}: {$sum} received · {$count} payment(s)
history-others = ⌛ {$expired} expired · ❌ {$failed} failed · ✖️ {$cancelled} cancelled
history-latest = Latest payments:
history-line = • {$time} {$amount} {$reference} {$note} — from {$payer}
pending-none = No open payment requests.
pending-title = ⏳ Open payment requests: {$count}
pending-line = • {$amount} {$reference} {$note} — valid until {$time}
check-usage =
    Send /check with what the customer's receipt shows:
    • the full transaction hash (64 characters): /check 3f9a…
    • or the short hash (8 characters) with the amount: /check 3f9a1c2d 5 USD
check-found = ✅ This transaction exists and was paid to your account.
check-found-elsewhere = ⚠️ This transaction exists, but it was NOT paid to your account ({$account}).
check-details =
    Amount: {$amount}
    From: {$from}
    To: {$to}
    Time: {$time}
    Ref: {$hash}
check-not-found = ❌ Bakong has no transaction with this hash. Ask the customer to check the receipt.
check-failed = ❌ Bakong reports this transaction as failed.
check-unavailable = Bakong is not answering right now. Please try again in a minute.
callback-paid-now = ✅ Paid!
callback-mismatch-now = ⚠️ A transfer arrived that does not pay this bill. See the message.
callback-underpaid-now = ⚠️ Less than asked arrived. See the message.
callback-token-refused = Bakong refused your API token. Send /token with a new one.
callback-bakong-busy = Bakong is not answering right now; I keep checking automatically.

## late10 (issue 10): late payments, mismatch and unverified statuses, /history by payment time
callback-cancel-paid = ✅ Not cancelled: this charge was already paid. See the message.
callback-mismatch = ⚠️ A transfer arrived for this bill but does not pay it.
callback-underpaid = ⚠️ This bill was paid in part.
callback-difference-sent = ➕ A QR code for the missing {$missing} is in the chat.
callback-difference-exists = A QR code for the rest of this bill already exists (bill {$bill}).
callback-difference-none = Nothing is missing on this bill any more.
callback-difference-seller-only = Only the seller can ask for the rest of this bill.
callback-unverified = ❔ Bakong could not confirm this payment in time. Check your Bakong app.
status-unverified-title = NOT VERIFIED
status-unverified-caption =
    ❔ Not verified — {$amount} — {$shop}
    I could not ask Bakong about this payment (token refused or Bakong unreachable). Check your Bakong app; /check verifies a customer's receipt.
notice-payment-unwatched =
    ⚠️ A payment arrived for bill {$bill} ({$amount}), which is already {$status}: {$arrived} from {$payer} at {$time}.
    Ref {$hash}. It was not counted for this charge. Check your Bakong app and with your customer.
notice-late-cancelled = ⚠️ Money arrived after you cancelled bill {$bill} ({$amount}).
notice-late-expired = ⚠️ Money arrived after the QR code of bill {$bill} ({$amount}) had expired.
notice-late-discarded = ⚠️ Money arrived for an inline card you did not choose (bill {$bill}, {$amount}): its preview was scanned.
notice-late-failed = ⚠️ Money arrived for bill {$bill} ({$amount}) after a payment attempt had failed: the customer paid again.
notice-late-unverified = ⚠️ Money arrived for bill {$bill} ({$amount}), which I could not verify in time.
notice-extra-paid = ⚠️ Another payment arrived for bill {$bill} ({$amount}), which was already paid.
notice-extra-underpaid = ⚠️ Another payment arrived for bill {$bill} ({$amount}), which was paid in part.
notice-extra-mismatch = ⚠️ Another transfer arrived for bill {$bill} ({$amount}).
notice-money-paid = Received {$arrived} from {$payer} at {$time}: the bill is paid. The money is in your account; if you told the customer the payment failed, let them know it went through.
notice-money-over = Received {$arrived} from {$payer} at {$time}: the bill is paid, {$excess} more than asked. The money is in your account.
notice-money-paid-in-full = Received {$arrived} from {$payer} at {$time}: the bill is now paid in full ({$total} in all).
notice-money-underpaid = Received {$arrived} from {$payer} at {$time}: {$missing} is still missing. The card has a button to charge it.
notice-money-on-top = Received {$arrived} from {$payer} at {$time}, on top of what the bill asked: it is in your account and in your totals. If the customer paid twice by mistake, refund them.
notice-money-other-currency = Received {$arrived} from {$payer} at {$time}, in another currency than the bill's: the money is in your account. Please check with your customer.
notice-money-not-counted = Bakong reports {$arrived} to {$to} from {$payer} at {$time}: it did not reach your account ({$account}), so it is not counted. Please check with your customer.
notice-money-ref = Ref {$hash}.
notice-hash-taken = ⚠️ Bakong reported transaction {$hash} for bill {$bill} ({$amount}), but that transaction already paid bill {$other}. Bill {$bill} is not paid by it. Check your Bakong app.
notice-hash-taken-elsewhere = ⚠️ Bakong reported transaction {$hash} for bill {$bill} ({$amount}), but that transaction already paid another charge. Bill {$bill} is not paid by it. Check your Bakong app.
customer-paid = ✅ Paid {$amount} — {$shop}. Thank you!
customer-paid-over = ✅ Paid — {$shop}. {$arrived} arrived for {$amount}: {$excess} more than asked. The seller has been told.
customer-underpaid =
    ⚠️ {$arrived} arrived for {$amount} — {$shop}: {$missing} is missing.
    The seller has been told and will ask you for the rest. Do not pay this QR code again.
customer-mismatch =
    ⚠️ {$arrived} arrived — {$shop} — but it does not match this payment request ({$amount}).
    The seller has been told. Do not pay again: wait for the seller.
notice-unverified =
    ❔ I could not confirm whether {$amount} (bill {$bill}, QR valid until {$time}) was paid: Bakong could not be asked (token refused or Bakong unreachable).
    Check your Bakong app; /check with the customer's receipt verifies it.
history-unverified = ❔ {$count} could not be verified
history-attention = ⚠️ of which {$sum} to look at ({$count}: over, under, late, another payment or another currency)
history-not-counted = 🚫 {$count} transfer(s) did not reach your account (not counted)
history-line-rest-of = (rest of bill {$bill})
state-pending = open
state-paid = paid
state-mismatch = not matching
state-failed = failed
state-expired = expired
state-cancelled = cancelled
state-unverified = not verified
state-underpaid = paid in part
## renew17 (issue 17): registered email and automatic token renewal
cmd-email = Email for automatic token renewal
setup-ask-email =
    Last step, optional — the email you registered at the Bakong Open API site (at most {$max} characters). With it I renew your token by myself before it expires.
    Send the email, or "skip" to renew by hand.
setup-email-skipped = OK, no automatic renewal: I will remind you before your token expires. You can add the email later with /email you@example.com.
email-set = Email saved: {$email} ✅ I will renew your Bakong token by myself before it expires and tell you when it is done.
email-removed = Email removed. I will not renew your token by myself any more; you will get reminders before it expires.
email-invalid = "{$value}" is not an email address I can use. It must look like name@example.com, exactly as you registered it at the Bakong Open API site.
email-too-long = This email is too long: Bakong accepts at most {$max} characters.
email-too-many-changes = You already set the email {$max} times in the last 24 hours; nothing was changed. Please try again tomorrow.
email-usage =
    Send /email you@example.com with the email you registered at the Bakong Open API site: I will then renew your token by myself before it expires.
    /email off removes it.
email-current = Registered email: {$email}. Change it with /email new@example.com or remove it with /email off.
settings-email = Registered email: {$email} (automatic token renewal on)
settings-email-none = Registered email: none (automatic token renewal off; set it with /email)
notice-token-renewed = Your Bakong API token was renewed automatically ✅ The new one is valid until {$expiry}. Nothing for you to do.
notice-renewal-failed = I could not renew your Bakong API token automatically. Look in the mailbox you registered at the Bakong Open API site (also the spam folder): Bakong may have sent a new token there; if not, renew it on the website. Then send the new token with /token. I keep reminding you until then.
## issue 10 (guard10): private chats, receipts, the secret key
private-only = 🔒 For your shop's safety I only do this in a private chat. Tap below and send the command to me there.
private-only-button = Open a private chat with me
notice-token-unreadable = I can no longer read your stored Bakong API token, so I cannot confirm payments. Please send /token with your token again; I will check your open payments as soon as it is stored.
check-not-found-short = ❌ Bakong has no transaction with this short hash and amount. Check the 8 characters and the amount on the receipt.
check-settled = ℹ️ This payment already settled your charge {$bill} (recorded {$time}). It is not a new payment.
check-recorded = ℹ️ This payment is already recorded on your charge {$bill} ({$time}), where it did not match the charge. It is not a new payment.
check-no-charge = It has not settled any of your charges in this bot.
## inline12 (issue 12): the live card in a customer's chat (inline mode)
button-send-customer = 📤 Send to customer
inline-help-title = Ask for a payment in this chat
inline-help-description = Type an amount after my name, for example: 5 USD iced coffee
inline-help-text = To ask for a payment in any chat, type my name, then the amount and a note, for example: 5 USD iced coffee. The card updates itself when the customer pays.
inline-keep-typing = Keep typing: an amount, then a currency and a note
inline-invalid-title = ❌ I cannot make this payment request
inline-setup-button = Set up your shop first (2 minutes)
inline-card-title = {$amount} — {$shop}
inline-card-description = Send this KHQR card; it shows "paid" here by itself.
inline-failed-title = ❌ I could not prepare the card. Please try again.
inline-not-open-title = ❌ This payment request is no longer open
inline-draft-gone = ⌛ This payment request was not kept. Do not pay this QR code: ask the seller for a new one.
callback-seller-only = Only the seller can cancel this payment request.
callback-check-wait = Just checked. Please try again in a few seconds.
callback-slow-down = Too many checks in a short time. I keep checking automatically; please try again in a minute.
## discard12 (issue 12): an inline draft nobody chose, paid all the same
state-discarded = never sent (inline draft)
callback-discarded = This card was never sent. Please do not pay it; ask the seller for a new one.
## chart14 (issue 14 item 3): the chart /history sends, the summary as its caption
history-chart-today = Today, {$date} · per hour
history-chart-yesterday = Yesterday, {$date} · per hour
history-chart-day = {$date} · per hour
history-chart-week = This week, {$from} – {$to} · per day
history-chart-month = This month, {$from} – {$to} · per day
history-chart-series = {$currency}: {$sum} received · {$count} payment(s)
history-chart-mon = Mon
history-chart-tue = Tue
history-chart-wed = Wed
history-chart-thu = Thu
history-chart-fri = Fri
history-chart-sat = Sat
history-chart-sun = Sun

## links15 (issue 15): pay links — the seller's /link and /links, the buyer's side
cmd-link = A pay link for posts and posters: /link 5 USD coffee uses 20
cmd-links = Your pay links: uses, totals, pause or close
link-usage =
    Send /link with a price and what you sell, for example:
    /link 5 USD iced coffee
    /link 5 USD iced coffee uses 20 until 2026-12-31 (at most 20 sold, until the end of that day)
    /link any USD donation (the buyer types the amount)
    /link any USD min 1 max 50 USD donation (the amount from $1 to $50)
    Options can stand anywhere in the line. Anyone who opens the link gets their own KHQR to pay you.
link-error-max = "{$value}" is not a number of uses I can take: write uses and a whole number from 1 to {$max}, e.g. uses 20.
link-error-until = "{$value}" is not a date: write until and the last day of sale as YYYY-MM-DD, e.g. until 2026-12-31.
link-error-until-past = That day is over: the last day of sale can be {$today} or later.
link-error-missing-value = "{$keyword}" needs a value after it, e.g. {$example}.
link-error-repeated = "{$keyword}" is there twice: write each option once.
link-error-bound = After {$keyword}, "{$value}" is not an amount I can take. {$why}
link-error-max-ambiguous = "max {$value}" can mean two things on a link where the buyer types the amount: write max {$value} {$currency} for the largest amount, or uses {$value} for how many can be sold.
link-error-bound-fixed = {$keyword} with an amount is only for links where the buyer types the amount, e.g. /link any USD min 1 max 50 USD. To limit how many can be sold, write uses 20.
link-error-bound-currency = The amount after {$keyword} must be in {$currency}, the currency of this link.
link-error-min-above-max = The smallest amount ({$min}) is above the largest ({$max}).
link-options-hint = The words max, min, uses, limit and until always start an option, so they cannot be part of the item's name.
link-created =
    🔗 Your pay link is ready: {$summary}
    {$url}
    Share it in posts, groups and chats, or print the poster below. Everyone who opens it gets their own KHQR, and I tell you about each payment. /links shows them all.
link-poster-caption = 🖨️ The poster: customers scan it with their phone's camera, which opens your link in Telegram, and each of them gets their own KHQR there. A bank app will not read the poster's code: it is a link, not a KHQR.
link-max = at most {$max} sold
link-until = until {$date}
link-price-any = any amount in {$currency}
link-price-any-bounded = any amount in {$currency} {$bounds}
link-bounds-range = from {$min} to {$max}
link-bounds-min = of at least {$min}
link-bounds-max = of at most {$max}
link-state-active = selling
link-state-paused = paused
link-state-closed = closed
link-list-empty = You have no pay links yet. Make one with /link 5 USD iced coffee.
link-list-title = 🔗 Your pay links
link-list-uses = {$paid} sold
link-list-uses-max = {$paid} of {$max} sold
link-list-item =
    {$n}. {$summary} — {$state}
    {$uses}, {$open}, {$total} received
    {$url}
link-list-held = held by open QR codes: {$held}, until {$time} at the latest
link-list-open = open QR codes: {$open}, until {$time} at the latest
link-list-none-open = no QR code open
button-link-pause = ⏸️ Pause {$n}
button-link-resume = ▶️ Resume {$n}
button-link-close = ✖️ Close {$n}
callback-link-state = Link {$state}.
callback-link-unchanged = Nothing changed: the link is {$state}.
link-greeting = Hello {$name}! {$shop} — {$item}: {$price}.
link-ask-amount = How much would you like to pay? Send the amount in {$currency}, e.g. 5.
link-ask-amount-bounded = How much would you like to pay? Send an amount in {$currency} {$bounds}.
link-amount-out-of-bounds = This link takes amounts {$bounds}. Please send the amount again.
link-ask-amount-again = Please send the amount again, e.g. 5.
link-amount-currency = This link takes {$currency} only. Please send the amount in {$currency}.
link-unknown = This pay link does not exist. Please check the link with the seller.
link-closed = This pay link is closed: the seller no longer sells through it.
link-paused = This pay link is paused for now. Please try again later or ask the seller.
link-ended = This pay link ended on {$date}.
link-sold-out = Sold out: everything on this link has been bought.
link-sold-out-for-now = Sold out for now: the last items are waiting for other buyers' payments. Please try again in a few minutes.
link-unavailable = The seller cannot take payments right now. Please try again later.
link-slow-down = One moment please: try again in a few seconds.
link-busy = Many people are asking for this link right now. Please try again in a minute.
link-buyer-limit = Your last QR codes for this link ran out without a payment. You can get a new one from {$time}.
link-qr-again = You already have a QR code for this link: here it is again. It is valid until {$time}.
link-qr-coming = Your QR code for this link is on its way.
link-qr-ending = Your QR code for this link has just ended: its card shows how. You can ask for a new one in a few seconds.
link-new-qr-not-expired = This QR code is still valid: you can pay it.
link-new-qr-sent = Here is a new QR code.
link-new-qr-again = Your QR code for this link is still open: here it is again.
charge-send-uncertain-buyer = Telegram did not confirm that the QR code arrived. If you can see it, it is valid until {$time}.
button-paid-check = ✅ I have paid — check
button-new-qr = 🔄 New QR
link-sale = 💰 {$buyer} paid {$amount} for {$item} through your pay link, from {$payer} ({$time}).
link-sale-over = That is {$excess} more than the price ({$price}).
link-sale-underpaid = ⚠️ {$buyer} paid {$amount} of {$price} for {$item} through your pay link, from {$payer} ({$time}): {$missing} is missing. They were told not to pay that QR code again.
link-sale-mismatch = ⚠️ {$buyer} sent {$amount} for {$item} through your pay link ({$price}), from {$payer} ({$time}), in another currency than the price: the money is in your account. Check with them.
link-sale-not-counted = ⚠️ A transfer of {$amount} for {$item} ({$price}) from {$buyer}'s QR code went to {$to}, not to your account, from {$payer} ({$time}). It is not counted. Check it in your Bakong app.
link-sale-late = It came after the QR code had expired: the money is yours all the same.
link-sale-over-limit = This is beyond the link's limit (a late payment for a unit that had gone to another buyer): you sold one more than planned.
poster-title = Scan with your phone's camera — opens Telegram
poster-footer = Not a KHQR: a bank app will not read this code. Telegram opens and gives you your own KHQR, which you pay with your bank app.
link-status-expired-caption =
    ⌛ Expired — {$amount} — {$shop}
    No payment arrived before {$time}. Press "New QR" for a fresh one.
link-greeting-no-item = Hello {$name}! {$shop}: {$price}.
## reports14 (issue 14): closing summary (/close), /export, longer /history periods
cmd-close = Daily closing summary: /close 21:30, /close off
cmd-export = Spreadsheet (CSV + Excel): /export month, /export 2026-11
close-usage = Send /close 21:30 to get a summary every day at that time (Phnom Penh time, 24-hour clock), /close off to stop it, or /close to see the setting.
close-is-on = 🧾 Your closing summary comes every day at {$time} (Phnom Penh time). /close off stops it.
close-is-off = 🧾 No closing summary is set. Send /close 21:30 to get one every day at that time.
close-turned-off = 🧾 Closing summary off. Send /close 21:30 to turn it on again.
close-set = 🧾 Done: every day at {$time} (Phnom Penh time) you get a closing summary of {$covers}. Nothing is sent on a day without charges.
close-covers-today = the 24 hours up to {$time} (from {$time} the day before)
close-covers-yesterday = the day that just ended (midnight to midnight)
close-title-today = 🧾 Closing summary — {$date}, from yesterday {$time} until today {$time}
close-title-yesterday = 🧾 Closing summary — {$date}, the day that just ended
close-no-payments = No payments received.
close-others = ⌛ {$expired} expired · ❌ {$failed} failed · ✖️ {$cancelled} cancelled
close-top = Top items:
close-no-note = (no note)
close-top-line = • {$note} — {$count} × · {$sum}
close-vs-title = Compared with the same weekday last week ({$date}):
close-vs-none = No payments either day.
close-vs-new = {$currency}: {$sum} (none last week)
close-vs-line = {$currency}: {$sum} vs {$before} ({$change})
period-reversed = The period ends ({$last}) before it starts ({$first}). Put the earlier date first, for example 2026-11-01..2026-11-30.
period-too-long = That period has {$days} days; at most {$max} at once.
history-title-month-of = 📊 Month ({$from} – {$to})
history-title-range = 📊 {$from} – {$to}
export-usage = Send /export (today), /export yesterday, week, month, a month like /export 2026-11, a day like /export 2026-11-30, or a range like /export 2026-11-01..2026-11-15.
export-empty = {$period}: no charges in this period, so there is nothing to export.
export-too-big = This export is larger than Telegram allows (50 MB). Please ask for a shorter period.
export-caption =
    {$period}: {$count} rows
    {$paid}
    {$rule}
export-caption-paid = 💵 {$sum} received · {$count} payment(s)
export-caption-attention = ⚠️ of which {$sum} to look at
export-rule = One row per payment, when the customer paid (a bill paid twice has two rows); charges without a payment when they ended, open ones when created. Received is what reached your account; the totals are its sum. Times are Phnom Penh time (UTC+7).
export-col-created = Created
export-col-paid = Paid at
export-col-status = Status
export-col-amount = Amount
export-col-currency = Currency
export-col-note = Note
export-col-bill = Bill number
export-col-reference = Reference
export-col-payer = Payer
export-col-hash = Bakong hash
export-col-late = Paid late after
export-col-received = Received
export-col-received-currency = Received currency
export-col-received-to = Received to
export-col-payment = Payment
export-col-rest-of = Rest of bill
export-sheet-charges = Charges
export-sheet-totals = Totals
export-totals-paid-count = Payments
export-totals-paid-sum = Received
export-totals-attention = Of which to look at
export-totals-count = Charges
export-totals-not-counted = Transfers that did not reach you
export-late-cancelled = cancelled
export-late-expired = expired
## coordinator: issue 14's period forms on the chart, a discarded draft in the export
history-chart-range = {$from} – {$to} · per day
export-late-discarded = never sent (inline draft)
export-late-failed = failed
export-late-unverified = not verified
pay-fit-exact = exact
pay-fit-over = more than asked
pay-fit-under = less than asked
pay-fit-other-currency = another currency
pay-fit-not-counted = did not reach your account
pay-extra = another payment of the bill

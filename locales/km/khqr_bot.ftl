# khqr-bot — ភាសាខ្មែរ។ គ្រប់ message id ត្រូវតែដូចគ្នានឹង locales/en/khqr_bot.ftl
# (tests/it/i18n/locales.rs នឹងបរាជ័យ បើខុសគ្នា)។

## Command menu
cmd-start = ស្វាគមន៍ និងជំហានដំបូង
cmd-setup = ភ្ជាប់ហាង និងគណនី Bakong
cmd-charge = ស្នើសុំការបង់ប្រាក់៖ /charge 5 USD កាហ្វេ
cmd-settings = មើលព័ត៌មានហាង
cmd-token = ប្ដូរ API token របស់ Bakong
cmd-lang = ភាសា៖ /lang km ឬ /lang en
cmd-currency = រូបិយប័ណ្ណលំនាំដើម៖ /currency KHR ឬ /currency USD
cmd-cancel = បញ្ឈប់ការរៀបចំ
cmd-help = របៀបប្រើប្រាស់

## /start and /help
start-new =
    សួស្ដី {$name}! ខ្ញុំបង្កើតកូដ Bakong KHQR ដើម្បីឲ្យអតិថិជនបង់ប្រាក់ជូនអ្នក តាមកម្មវិធីធនាគារណាក៏បាន។
    ដើម្បីចាប់ផ្ដើម សូមផ្ញើ /setup — ចំណាយពេលប្រហែលពីរនាទី។
start-ready =
    សូមស្វាគមន៍ការត្រឡប់មកវិញ {$shop}! សូមផ្ញើ /charge ជាមួយចំនួនទឹកប្រាក់ ឧទាហរណ៍៖
    /charge 5 USD កាហ្វេទឹកកក
help-title = របៀបប្រើប្រាស់
help-body =
    /setup — ភ្ជាប់គណនី Bakong (លេខសម្គាល់គណនី ឈ្មោះហាង ទីក្រុង និង API token)
    /charge 5 — ស្នើសុំ 5 តាមរូបិយប័ណ្ណលំនាំដើមរបស់អ្នក
    /charge 5 USD កាហ្វេទឹកកក — មានកំណត់ចំណាំសម្រាប់អ្នក និងអតិថិជន
    /charge 20000 KHR — ស្នើសុំ 20,000 រៀល; អាចសរសេរ 5usd, $5, ៛5000 ឬ 5,000 KHR ក៏បាន
    /history — ការទូទាត់ដែលបានទទួលថ្ងៃនេះ; /history yesterday, week, month ឬ 2025-01-31
    /pending — សំណើទូទាត់ដែលកំពុងរង់ចាំ
    /check <hash> — ផ្ទៀងផ្ទាត់ប្រតិបត្តិការដែលបង្ហាញលើទូរស័ព្ទអតិថិជន
    /close 21:30 — សេចក្ដីសង្ខេបបិទបញ្ជីរាល់ថ្ងៃនៅម៉ោង 21:30; /close off ដើម្បីបញ្ឈប់
    /export month — ការគិតប្រាក់ប្រចាំខែជា CSV និង Excel; ក៏អាច today, week, 2026-11, 2026-11-01..2026-11-15
    /link 5 USD កាហ្វេ — តំណទូទាត់ និងផ្ទាំងប៉ាណូ៖ អ្នកទិញម្នាក់ៗទទួលបាន QR ផ្ទាល់ខ្លួន; /links ដើម្បីផ្អាក ឬបិទ
    /link 5 USD នំ uses 20 until 2026-12-31 — លក់បានច្រើនបំផុត 20 រហូតដល់ថ្ងៃនោះ; /link any USD min 1 max 50 USD អំណោយ — អ្នកទិញវាយចំនួនទឹកប្រាក់ខ្លួនឯង ក្នុងដែនកំណត់
    /settings — មើលព័ត៌មានហាង
    /token — ប្ដូរ token ដែលផុតកំណត់
    /currency KHR — គិតជារៀល ពេលអ្នកមិនសរសេររូបិយប័ណ្ណ
    /lang en — English · /lang km — ភាសាខ្មែរ
    /cancel — បញ្ឈប់ការរៀបចំ
    កូដ QR នីមួយៗមានសុពលភាព {$minutes} នាទី។
unknown-message = ខ្ញុំមិនយល់ទេ។ សូមផ្ញើ /help ដើម្បីមើលអ្វីដែលខ្ញុំអាចជួយបាន។
error-internal = សូមអភ័យទោស មានបញ្ហាមួយកើតឡើងនៅខាងខ្ញុំ។ សូមព្យាយាមម្ដងទៀត។

## /setup wizard
setup-private-only = ដើម្បីសុវត្ថិភាព សូមធ្វើការនេះក្នុងការជជែកឯកជនជាមួយខ្ញុំ។
setup-ask-account =
    ជំហានទី 1 នៃ 4 — លេខសម្គាល់គណនី Bakong របស់អ្នក។ វាមានទម្រង់ name@bank ឧទាហរណ៍៖ sokha@aclb
    អ្នកអាចរកឃើញវានៅក្នុងប្រវត្តិរូប Bakong / KHQR នៃកម្មវិធីធនាគាររបស់អ្នក។
setup-account-invalid = “{$value}” មិនមែនជាលេខសម្គាល់គណនី Bakong ទេ។ វាត្រូវមានទម្រង់ name@bank៖ មាន @ តែមួយ គ្មានដកឃ្លា និងយ៉ាងច្រើន 32 តួអក្សរ។ សូមផ្ញើម្ដងទៀត។
setup-ask-shop = ជំហានទី 2 នៃ 4 — ឈ្មោះហាងរបស់អ្នក ដូចដែលអតិថិជននឹងឃើញក្នុងកម្មវិធីធនាគារ (យ៉ាងច្រើន {$max} តួអក្សរ)។
setup-shop-empty = ឈ្មោះហាងមិនអាចទទេបានទេ។ សូមផ្ញើម្ដងទៀត។
setup-shop-too-long = ឈ្មោះនេះវែងពេក៖ យ៉ាងច្រើន {$max} តួអក្សរ។ សូមផ្ញើឈ្មោះដែលខ្លីជាងនេះ។
setup-shop-hidden = ឈ្មោះនេះមានតួអក្សរដែលមើលមិនឃើញ ឬតួអក្សរដែលបញ្ច្រាសទិសអត្ថបទ (ដូចជាសញ្ញាពីស្ដាំទៅឆ្វេង) ដូច្នេះវានឹងមិនបង្ហាញដូចដែលបានសរសេរទេ។ សូមវាយវាម្ដងទៀតដោយគ្មានតួអក្សរទាំងនោះ។
setup-ask-city = ជំហានទី 3 នៃ 4 — ទីក្រុងរបស់អ្នក (យ៉ាងច្រើន {$max} តួអក្សរ) ឧទាហរណ៍៖ Phnom Penh
setup-city-empty = ឈ្មោះទីក្រុងមិនអាចទទេបានទេ។ សូមផ្ញើម្ដងទៀត។
setup-city-too-long = ឈ្មោះទីក្រុងវែងពេក៖ យ៉ាងច្រើន {$max} តួអក្សរ។ សូមផ្ញើឈ្មោះដែលខ្លីជាងនេះ។
setup-city-hidden = ឈ្មោះទីក្រុងនេះមានតួអក្សរដែលមើលមិនឃើញ ឬតួអក្សរដែលបញ្ច្រាសទិសអត្ថបទ (ដូចជាសញ្ញាពីស្ដាំទៅឆ្វេង) ដូច្នេះវានឹងមិនបង្ហាញដូចដែលបានសរសេរទេ។ សូមវាយវាម្ដងទៀតដោយគ្មានតួអក្សរទាំងនោះ។
setup-ask-token =
    ជំហានទី 4 នៃ 4 — API token របស់ Bakong។ អ្នកអាចយកវាបាននៅ https://api-bakong.nbc.gov.kh (ចុះឈ្មោះ រួចចម្លង token ពីអ៊ីមែល)។
    សូមបិទភ្ជាប់វានៅទីនេះ៖ ខ្ញុំនឹងលុបសាររបស់អ្នកភ្លាមៗ ហើយរក្សាទុក token ដោយអ៊ិនគ្រីប។
setup-text-only = សូមឆ្លើយជាសារអក្សរ។
setup-account-not-found = Bakong រកមិនឃើញគណនី {$account} ទេ។ សូមផ្ញើលេខសម្គាល់គណនីរបស់អ្នកម្ដងទៀត (name@bank)។
setup-done =
    រួចរាល់ហើយ! ✅
    ហាង៖ {$shop} ({$city})
    គណនី៖ {$account}
    token មានសុពលភាពដល់៖ {$expiry}
    សាកល្បងឥឡូវនេះ៖ /charge 5 USD
setup-cancelled = បានបញ្ឈប់ការរៀបចំ ហើយគ្មានអ្វីត្រូវបានផ្លាស់ប្ដូរទេ។ សូមផ្ញើ /setup ដើម្បីចាប់ផ្ដើមម្ដងទៀត។
cancel-nothing = គ្មានអ្វីត្រូវបញ្ឈប់ទេ។

## Bakong API token
token-deleted = ខ្ញុំបានលុបសារដែលមាន token របស់អ្នករួចហើយ។
token-malformed = នេះមិនមែនជា API token របស់ Bakong ទេ (token ជាអក្សរវែង មានបីផ្នែក ខណ្ឌដោយចំណុច)។ សូមបិទភ្ជាប់ token ម្ដងទៀត។
token-expired = token នេះបានផុតកំណត់នៅថ្ងៃទី {$date}។ សូមបន្តសុពលភាព រួចបិទភ្ជាប់ token ថ្មី។
token-rejected = Bakong មិនទទួលយក token នេះទេ៖ វាខុស ឬផុតកំណត់ហើយ។ សូមបិទភ្ជាប់ token ដែលត្រឹមត្រូវ។
token-checks-too-many = អ្នកបានផ្ញើ token ច្រើនពេកឲ្យពិនិត្យក្នុងរយៈពេលខ្លី។ មិនបានរក្សាទុកអ្វីទេ សូមរង់ចាំ {$minutes} នាទី រួចផ្ញើ token ម្ដងទៀត។
bakong-geoblocked = Bakong បានបដិសេធសំណើ (វាឆ្លើយតបតែពីក្នុងប្រទេសកម្ពុជាប៉ុណ្ណោះ)។ សូមស្នើអ្នកគ្រប់គ្រងបូតនេះ ឲ្យកំណត់ BAKONG_API_URL ទៅម៉ាស៊ីនមេនៅកម្ពុជា រួចផ្ញើ token ម្ដងទៀត។
bakong-unavailable = ខ្ញុំមិនអាចពិនិត្យ token នេះជាមួយ Bakong បាននៅពេលនេះទេ ដូច្នេះមិនបានរក្សាទុកអ្វីទេ។ សូមផ្ញើវាម្ដងទៀតក្នុងរយៈពេលមួយនាទី។
token-ask = សូមបិទភ្ជាប់ API token ថ្មីរបស់ Bakong។ ខ្ញុំនឹងលុបសាររបស់អ្នកភ្លាមៗ។
token-needs-setup = សូមបញ្ចប់ /setup ជាមុនសិន។
token-replaced = បានប្ដូរ token ហើយ ✅ វាមានសុពលភាពដល់ {$expiry}។
token-account-gone = Bakong លែងស្គាល់គណនី {$account} ទៀតហើយ។ សូមផ្ញើ /setup ដើម្បីភ្ជាប់គណនីរបស់អ្នកម្ដងទៀត។
token-outside-wizard = នោះដូចជា token របស់ Bakong ដូច្នេះខ្ញុំបានលុបវាចេញពីការជជែក។ ដើម្បីរក្សាទុក token ថ្មី សូមផ្ញើ /token ជាមុនសិន (ឬ /setup បើអ្នកមិនទាន់បានរៀបចំ)។
expiry-unknown = មិនបានបញ្ជាក់

## /settings and /lang
settings =
    ហាង៖ {$shop}
    ទីក្រុង៖ {$city}
    គណនី Bakong៖ {$account}
    រូបិយប័ណ្ណលំនាំដើម៖ {$currency}
    ភាសា៖ ខ្មែរ
    API token៖ {$token} (មានសុពលភាពដល់ {$expiry})
settings-not-configured = អ្នកមិនទាន់បានរៀបចំហាងនៅឡើយទេ។ សូមផ្ញើ /setup។
lang-set = ចាប់ពីពេលនេះ ខ្ញុំនឹងប្រើភាសាខ្មែរ។
currency-set = ពេលនេះ /charge ដែលគ្មានរូបិយប័ណ្ណ នឹងស្នើសុំជា {$currency}។
currency-usage = សូមផ្ញើ /currency USD ឬ /currency KHR។
lang-usage = សូមផ្ញើ /lang km សម្រាប់ភាសាខ្មែរ ឬ /lang en សម្រាប់ភាសាអង់គ្លេស។

## /charge
charge-needs-setup = សូមរៀបចំហាងរបស់អ្នកជាមុនសិន៖ ផ្ញើ /setup។
charge-token-expired = Bakong លែងទទួលយក token របស់អ្នកហើយ (វាផុតកំណត់ ឬត្រូវបានប្ដូរ) ដូច្នេះខ្ញុំមិនអាចបញ្ជាក់ការបង់ប្រាក់បានទេ។ សូមផ្ញើ /token ជាមួយ token ថ្មីជាមុនសិន។
charge-usage = សូមប្រាប់ចំនួនទឹកប្រាក់ ឧទាហរណ៍៖ /charge 5 USD កាហ្វេទឹកកក ឬ /charge 20000 KHR
charge-error-amount = “{$value}” មិនមែនជាចំនួនទឹកប្រាក់ទេ។ ឧទាហរណ៍៖ /charge 5.50 USD ឬ /charge 20000 KHR
charge-error-usd-decimals = ចំនួនដុល្លារមានខ្ទង់ទសភាគយ៉ាងច្រើនពីរខ្ទង់ ឧទាហរណ៍ 4.50។
charge-error-khr-whole = ចំនួនរៀលត្រូវតែជាចំនួនគត់ ឧទាហរណ៍ 5000។
charge-error-not-positive = ចំនួនទឹកប្រាក់ត្រូវតែធំជាងសូន្យ។
charge-error-too-large = ចំនួនទឹកប្រាក់នេះធំពេក៖ យ៉ាងច្រើន {$max}។
charge-error-currency = KHQR ទទួលតែ USD និង KHR ប៉ុណ្ណោះ មិនមែន {$code} ទេ។
charge-error-note = កំណត់ចំណាំវែងពេក៖ {$len} តួអក្សរ យ៉ាងច្រើន {$max} តួអក្សរ។ សូមសរសេរឱ្យខ្លីជាងនេះ។
charge-error-two-currencies = ចំនួនទឹកប្រាក់មានរូបិយប័ណ្ណពីរ គឺ {$first} និង {$second}។ សូមសរសេរតែមួយប៉ុណ្ណោះ។
charge-error-separators = “{$value}”៖ សូមប្រើក្បៀសតែនៅចន្លោះក្រុមបីខ្ទង់ (5,000) និងប្រើចំណុចសម្រាប់ទសភាគ (5.50)។
charge-error-note-control = កំណត់ចំណាំមានតួអក្សរដែលមិនអាចបង្ហាញបាន។ សូមសរសេរវាម្ដងទៀត។
charge-caption =
    💵 {$amount} — {$shop}
    {$label}
    ⏳ មានសុពលភាពដល់ម៉ោង {$time} (ម៉ោងភ្នំពេញ)
    សូមស្កេនដោយកម្មវិធីធនាគារណាមួយដែលគាំទ្រ KHQR។
charge-card-expires = មានសុពលភាពដល់ម៉ោង {$time}
charge-send-uncertain = Telegram មិនបានបញ្ជាក់ថាកូដ QR បានទៅដល់ទេ។ បើអ្នកឃើញវា វាមានសុពលភាពដល់ម៉ោង {$time} ហើយខ្ញុំកំពុងតាមដានវា។ បើមិនឃើញទេ សូមផ្ញើ /charge ម្ដងទៀត។
charge-send-failed = ខ្ញុំមិនអាចផ្ញើកូដ QR បានទេ ដូច្នេះមិនមានការគិតប្រាក់ណាមួយឡើយ។ សូមព្យាយាមម្ដងទៀត។
button-check = 🔄 ពិនិត្យឥឡូវ
button-cancel = ✖️ បោះបង់

## Buttons under a QR code
callback-not-yours = ការបង់ប្រាក់នេះមិនមែនជារបស់អ្នកទេ។
callback-unknown = ខ្ញុំរកមិនឃើញការបង់ប្រាក់នេះទេ។
callback-cancelled = បានបោះបង់ការបង់ប្រាក់ហើយ។
callback-pending = មិនទាន់បានបង់នៅឡើយទេ។ កូដ QR មានសុពលភាពដល់ម៉ោង {$time}។
callback-paid = ការបង់ប្រាក់នេះបានទទួលរួចហើយ។
callback-expired = កូដ QR នេះផុតកំណត់ហើយ។
callback-failed = ការបង់ប្រាក់នេះបានបរាជ័យ។
callback-was-cancelled = ការបង់ប្រាក់នេះត្រូវបានបោះបង់រួចហើយ។
flood-press-dropped = អ្នកចុចច្រើនដងពេក។ សូមរង់ចាំបន្តិច រួចចុចម្ដងទៀត។

## Payment watcher: the QR message once settled, notices
status-paid-title = បានទូទាត់
status-paid-caption =
    ✅ បានទូទាត់ {$amount} — {$shop}
    👤 ពី {$payer}
    🕒 {$time} · លេខយោង {$hash}
status-mismatch-title = មិនបានទទួល
status-mismatch-caption =
    ⚠️ មិនបានទទួល៖ ប្រាក់ដែលផ្ទេរសម្រាប់កូដ QR នេះមិនបានចូលគណនីរបស់អ្នកទេ។
    ត្រូវទទួល {$amount} ចូល {$account}។
    Bakong រាយការណ៍ថា {$arrived} ចូល {$to} ពី {$payer} (លេខយោង {$hash})។
    វាមិនត្រូវបានរាប់បញ្ចូលទេ។ សូមពិនិត្យជាមួយអតិថិជនរបស់អ្នក។
status-underpaid-title = បានបង់មួយផ្នែក
status-underpaid-caption =
    ⚠️ បានបង់មួយផ្នែក — {$amount} — {$shop}
    💰 បានទទួល {$arrived}៖ នៅខ្វះ {$missing}។
    👤 ពី {$payer}
    🕒 {$time} · លេខយោង {$hash}
status-other-currency-title = រូបិយប័ណ្ណផ្សេង
status-other-currency-caption =
    ⚠️ បានទទួល {$arrived} សម្រាប់ {$amount} — {$shop}
    ប្រាក់បានចូលគណនីរបស់អ្នកហើយ ប៉ុន្តែជារូបិយប័ណ្ណផ្សេងពីវិក្កយបត្រ។ សូមពិនិត្យជាមួយអតិថិជនរបស់អ្នក។
    👤 ពី {$payer} · លេខយោង {$hash}
status-caption-over = 💰 បានទទួល {$arrived}៖ លើសពីចំនួនដែលបានស្នើ {$excess}។
status-caption-payments = 💰 បានទទួល {$arrived} ក្នុងការទូទាត់ {$count} ដង។
status-failed-title = បរាជ័យ
status-failed-caption =
    ❌ ការទូទាត់បរាជ័យ — {$amount} — {$shop}
    សូមផ្ញើ /charge ដើម្បីបង្កើត QR ថ្មី។
status-expired-title = ផុតកំណត់
status-expired-caption =
    ⌛ ផុតកំណត់ — {$amount} — {$shop}
    មិនមានការទូទាត់មុនម៉ោង {$time} ទេ។ សូមផ្ញើ /charge ដើម្បីបង្កើត QR ថ្មី។
status-cancelled-title = បានបោះបង់
status-cancelled-caption = ✖️ បានបោះបង់ — {$amount} — {$shop}
status-line-from = ពី {$payer}
status-line-time = ម៉ោង {$time}
status-line-ref = លេខយោង {$hash}
status-line-received = បានទទួល {$arrived} ចូល {$to}
status-line-received-of = បានទទួល {$arrived} នៃ {$amount}
status-line-missing = នៅខ្វះ {$missing}
status-line-over = បានទទួល {$arrived} — លើស {$excess}
button-charge-missing = ➕ ស្នើប្រាក់ដែលនៅខ្វះ {$missing}
status-line-expired = មិនបានទូទាត់មុនម៉ោង {$time}
notice-token-refused = Bakong បានបដិសេធ API token របស់អ្នក (ផុតកំណត់ ឬមិនត្រឹមត្រូវ) ដូច្នេះខ្ញុំមិនអាចបញ្ជាក់ការទូទាត់បានទេ។ សូមផ្ញើ /token ជាមួយ token ថ្មី។
notice-token-expiring = API token Bakong របស់អ្នកនឹងផុតកំណត់ក្នុងរយៈពេល {$days} ថ្ងៃទៀត (ថ្ងៃទី {$date})។ សូមយក token ថ្មីនៅគេហទំព័រ Bakong Open API (Renew) រួចផ្ញើវាមកតាម /token។
notice-token-expiring-email = API token Bakong របស់អ្នកនឹងផុតកំណត់ក្នុងរយៈពេល {$days} ថ្ងៃទៀត (ថ្ងៃទី {$date})។ សូមបន្តវានៅគេហទំព័រ Bakong Open API ដោយប្រើអ៊ីមែលដែលបានចុះឈ្មោះ (NBC នឹងផ្ញើ token ថ្មីទៅអ៊ីមែលនោះ) រួចផ្ញើវាមកតាម /token។

## /history, /pending, /check, "Check now"
cmd-history = ការទូទាត់ដែលបានទទួល៖ /history today, week, month
cmd-pending = សំណើទូទាត់ដែលកំពុងរង់ចាំ
cmd-check = ផ្ទៀងផ្ទាត់បង្កាន់ដៃ៖ /check <hash> ឬ /check <hash ខ្លី> <ចំនួន>
history-usage = សូមផ្ញើ /history, /history yesterday, /history week, /history month ឬ /history 2025-01-31។
history-future = ថ្ងៃ {$date} មិនទាន់មកដល់ទេ។
history-title-today = 📊 ថ្ងៃនេះ ({$date})
history-title-yesterday = 📊 ម្សិលមិញ ({$date})
history-title-day = 📊 ថ្ងៃ {$date}
history-title-week = 📊 សប្តាហ៍នេះ ({$from} – {$to})
history-title-month = 📊 ខែនេះ ({$from} – {$to})
history-no-payments = មិនទាន់មានការទូទាត់ទេ។
history-total = 💵 {$currency}៖ បានទទួល {$sum} · ការទូទាត់ {$count}
history-others = ⌛ ផុតកំណត់ {$expired} · ❌ បរាជ័យ {$failed} · ✖️ បានបោះបង់ {$cancelled}
history-latest = ការទូទាត់ចុងក្រោយ៖
history-line = • ម៉ោង {$time} {$amount} {$reference} {$note} — ពី {$payer}
pending-none = មិនមានសំណើទូទាត់កំពុងរង់ចាំទេ។
pending-title = ⏳ សំណើទូទាត់កំពុងរង់ចាំ៖ {$count}
pending-line = • {$amount} {$reference} {$note} — មានសុពលភាពដល់ម៉ោង {$time}
check-usage =
    សូមផ្ញើ /check ជាមួយអ្វីដែលបង្កាន់ដៃរបស់អតិថិជនបង្ហាញ៖
    • hash ពេញលេញរបស់ប្រតិបត្តិការ (៦៤ តួអក្សរ)៖ /check 3f9a…
    • ឬ hash ខ្លី (៨ តួអក្សរ) ជាមួយចំនួនទឹកប្រាក់៖ /check 3f9a1c2d 5 USD
check-found = ✅ ប្រតិបត្តិការនេះមានពិតប្រាកដ ហើយបានបង់ចូលគណនីរបស់អ្នក។
check-found-elsewhere = ⚠️ ប្រតិបត្តិការនេះមានពិតប្រាកដ ប៉ុន្តែមិនបានបង់ចូលគណនីរបស់អ្នក ({$account}) ទេ។
check-details =
    ចំនួនទឹកប្រាក់៖ {$amount}
    ពី៖ {$from}
    ទៅ៖ {$to}
    ពេលវេលា៖ {$time}
    លេខយោង៖ {$hash}
check-not-found = ❌ Bakong រកមិនឃើញប្រតិបត្តិការដែលមាន hash នេះទេ។ សូមឲ្យអតិថិជនពិនិត្យបង្កាន់ដៃម្ដងទៀត។
check-failed = ❌ Bakong រាយការណ៍ថាប្រតិបត្តិការនេះបរាជ័យ។
check-unavailable = Bakong មិនឆ្លើយតបនៅពេលនេះទេ។ សូមព្យាយាមម្ដងទៀតក្នុងរយៈពេលមួយនាទី។
callback-paid-now = ✅ បានទូទាត់ហើយ!
callback-mismatch-now = ⚠️ មានប្រាក់ផ្ទេរមក ប៉ុន្តែវាមិនបានទូទាត់វិក្កយបត្រនេះទេ។ សូមមើលសារ។
callback-underpaid-now = ⚠️ ប្រាក់ដែលមកដល់តិចជាងចំនួនដែលបានស្នើ។ សូមមើលសារ។
callback-token-refused = Bakong បានបដិសេធ API token របស់អ្នក។ សូមផ្ញើ /token ជាមួយ token ថ្មី។
callback-bakong-busy = Bakong មិនឆ្លើយតបនៅពេលនេះទេ ខ្ញុំនឹងបន្តពិនិត្យដោយស្វ័យប្រវត្តិ។

## late10 (issue 10): late payments, mismatch and unverified statuses, /history by payment time
callback-cancel-paid = ✅ មិនបានបោះបង់ទេ៖ ការទូទាត់នេះបានបង់រួចហើយ។ សូមមើលសារ។
callback-mismatch = ⚠️ មានប្រាក់ផ្ទេរមកសម្រាប់វិក្កយបត្រនេះ ប៉ុន្តែវាមិនបានទូទាត់វាទេ។
callback-underpaid = ⚠️ វិក្កយបត្រនេះត្រូវបានបង់មួយផ្នែក។
callback-difference-sent = ➕ កូដ QR សម្រាប់ប្រាក់ដែលនៅខ្វះ {$missing} មាននៅក្នុងការជជែកហើយ។
callback-difference-exists = មានកូដ QR សម្រាប់ប្រាក់ដែលនៅសល់នៃវិក្កយបត្រនេះរួចហើយ (វិក្កយបត្រ {$bill})។
callback-difference-none = វិក្កយបត្រនេះលែងខ្វះអ្វីទៀតហើយ។
callback-difference-seller-only = មានតែអ្នកលក់ទេដែលអាចស្នើប្រាក់ដែលនៅសល់នៃវិក្កយបត្រនេះបាន។
callback-unverified = ❔ Bakong មិនអាចបញ្ជាក់ការទូទាត់នេះទាន់ពេលទេ។ សូមពិនិត្យកម្មវិធី Bakong របស់អ្នក។
status-unverified-title = មិនបានផ្ទៀងផ្ទាត់
status-unverified-caption =
    ❔ មិនបានផ្ទៀងផ្ទាត់ — {$amount} — {$shop}
    ខ្ញុំមិនអាចសួរ Bakong អំពីការទូទាត់នេះបានទេ (token ត្រូវបានបដិសេធ ឬ Bakong មិនឆ្លើយតប)។ សូមពិនិត្យកម្មវិធី Bakong របស់អ្នក; /check ផ្ទៀងផ្ទាត់បង្កាន់ដៃរបស់អតិថិជន។
notice-payment-unwatched =
    ⚠️ មានការទូទាត់មកសម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ដែលមានស្ថានភាព {$status} រួចហើយ៖ {$arrived} ពី {$payer} នៅ {$time}។
    លេខយោង {$hash}។ វាមិនត្រូវបានរាប់សម្រាប់ការទូទាត់នេះទេ។ សូមពិនិត្យកម្មវិធី Bakong និងជាមួយអតិថិជនរបស់អ្នក។
notice-late-cancelled = ⚠️ មានប្រាក់មកដល់ក្រោយពេលអ្នកបានបោះបង់វិក្កយបត្រ {$bill} ({$amount})។
notice-late-expired = ⚠️ មានប្រាក់មកដល់ក្រោយពេលកូដ QR នៃវិក្កយបត្រ {$bill} ({$amount}) ផុតកំណត់។
notice-late-discarded = ⚠️ មានប្រាក់មកដល់សម្រាប់កាត inline ដែលអ្នកមិនបានជ្រើសរើស (វិក្កយបត្រ {$bill}, {$amount})៖ រូបមើលជាមុនរបស់វាត្រូវបានស្កេន។
notice-late-failed = ⚠️ មានប្រាក់មកដល់សម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ក្រោយពេលការបង់ប្រាក់មួយបានបរាជ័យ៖ អតិថិជនបានបង់ម្ដងទៀត។
notice-late-unverified = ⚠️ មានប្រាក់មកដល់សម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ដែលខ្ញុំមិនអាចផ្ទៀងផ្ទាត់ទាន់ពេល។
notice-extra-paid = ⚠️ មានការទូទាត់មួយទៀតមកដល់សម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ដែលបានបង់រួចហើយ។
notice-extra-underpaid = ⚠️ មានការទូទាត់មួយទៀតមកដល់សម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ដែលបានបង់មួយផ្នែក។
notice-extra-mismatch = ⚠️ មានប្រាក់ផ្ទេរមួយទៀតមកដល់សម្រាប់វិក្កយបត្រ {$bill} ({$amount})។
notice-money-paid = បានទទួល {$arrived} ពី {$payer} នៅ {$time}៖ វិក្កយបត្របានបង់ហើយ។ ប្រាក់បានចូលគណនីរបស់អ្នក។ ប្រសិនបើអ្នកបានប្រាប់អតិថិជនថាការទូទាត់បរាជ័យ សូមប្រាប់ពួកគេថាវាបានជោគជ័យ។
notice-money-over = បានទទួល {$arrived} ពី {$payer} នៅ {$time}៖ វិក្កយបត្របានបង់ហើយ លើសពីចំនួនដែលបានស្នើ {$excess}។ ប្រាក់បានចូលគណនីរបស់អ្នក។
notice-money-paid-in-full = បានទទួល {$arrived} ពី {$payer} នៅ {$time}៖ ឥឡូវវិក្កយបត្របានបង់គ្រប់ចំនួនហើយ (សរុប {$total})។
notice-money-underpaid = បានទទួល {$arrived} ពី {$payer} នៅ {$time}៖ នៅខ្វះ {$missing}។ កាតមានប៊ូតុងសម្រាប់ស្នើប្រាក់នោះ។
notice-money-on-top = បានទទួល {$arrived} ពី {$payer} នៅ {$time} បន្ថែមលើចំនួនដែលវិក្កយបត្របានស្នើ៖ វាបានចូលគណនី និងរាប់បញ្ចូលក្នុងសរុបរបស់អ្នក។ ប្រសិនបើអតិថិជនបានបង់ពីរដងដោយច្រឡំ សូមប្រគល់ប្រាក់ជូនពួកគេវិញ។
notice-money-other-currency = បានទទួល {$arrived} ពី {$payer} នៅ {$time} ជារូបិយប័ណ្ណផ្សេងពីវិក្កយបត្រ៖ ប្រាក់បានចូលគណនីរបស់អ្នក។ សូមពិនិត្យជាមួយអតិថិជនរបស់អ្នក។
notice-money-not-counted = Bakong រាយការណ៍ថា {$arrived} ចូល {$to} ពី {$payer} នៅ {$time}៖ វាមិនបានចូលគណនីរបស់អ្នក ({$account}) ទេ ដូច្នេះវាមិនត្រូវបានរាប់បញ្ចូលទេ។ សូមពិនិត្យជាមួយអតិថិជនរបស់អ្នក។
notice-money-ref = លេខយោង {$hash}។
notice-hash-taken = ⚠️ Bakong បានរាយការណ៍ប្រតិបត្តិការ {$hash} សម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ប៉ុន្តែប្រតិបត្តិការនោះបានទូទាត់វិក្កយបត្រ {$other} រួចហើយ។ វិក្កយបត្រ {$bill} មិនត្រូវបានបង់ដោយវាទេ។ សូមពិនិត្យកម្មវិធី Bakong របស់អ្នក។
notice-hash-taken-elsewhere = ⚠️ Bakong បានរាយការណ៍ប្រតិបត្តិការ {$hash} សម្រាប់វិក្កយបត្រ {$bill} ({$amount}) ប៉ុន្តែប្រតិបត្តិការនោះបានទូទាត់ការគិតប្រាក់ផ្សេងរួចហើយ។ វិក្កយបត្រ {$bill} មិនត្រូវបានបង់ដោយវាទេ។ សូមពិនិត្យកម្មវិធី Bakong របស់អ្នក។
customer-paid = ✅ បានបង់ {$amount} — {$shop}។ សូមអរគុណ!
customer-paid-over = ✅ បានបង់ — {$shop}។ បានទទួល {$arrived} សម្រាប់ {$amount}៖ លើសពីចំនួនដែលបានស្នើ {$excess}។ អ្នកលក់បានទទួលដំណឹងហើយ។
customer-underpaid =
    ⚠️ បានទទួល {$arrived} សម្រាប់ {$amount} — {$shop}៖ នៅខ្វះ {$missing}។
    អ្នកលក់បានទទួលដំណឹងហើយ ហើយនឹងស្នើប្រាក់ដែលនៅសល់ពីអ្នក។ សូមកុំបង់កូដ QR នេះម្ដងទៀត។
customer-mismatch =
    ⚠️ បានទទួល {$arrived} — {$shop} — ប៉ុន្តែវាមិនត្រូវនឹងសំណើទូទាត់នេះ ({$amount}) ទេ។
    អ្នកលក់បានទទួលដំណឹងហើយ។ សូមកុំបង់ម្ដងទៀត៖ សូមរង់ចាំអ្នកលក់។
notice-unverified =
    ❔ ខ្ញុំមិនអាចបញ្ជាក់ថា {$amount} (វិក្កយបត្រ {$bill}, QR មានសុពលភាពដល់ {$time}) ត្រូវបានបង់ឬអត់ទេ៖ មិនអាចសួរ Bakong បាន (token ត្រូវបានបដិសេធ ឬ Bakong មិនឆ្លើយតប)។
    សូមពិនិត្យកម្មវិធី Bakong របស់អ្នក; /check ជាមួយបង្កាន់ដៃរបស់អតិថិជនអាចផ្ទៀងផ្ទាត់វាបាន។
history-unverified = ❔ មិនអាចផ្ទៀងផ្ទាត់បាន {$count}
history-attention = ⚠️ ក្នុងនោះ {$sum} ត្រូវពិនិត្យ ({$count}៖ លើស ខ្វះ យឺត ការទូទាត់មួយទៀត ឬរូបិយប័ណ្ណផ្សេង)
history-not-counted = 🚫 ប្រាក់ផ្ទេរ {$count} មិនបានចូលគណនីរបស់អ្នក (មិនរាប់បញ្ចូល)
history-line-rest-of = (ប្រាក់ដែលនៅសល់នៃវិក្កយបត្រ {$bill})
state-pending = កំពុងរង់ចាំ
state-paid = បានបង់
state-mismatch = មិនត្រូវគ្នា
state-failed = បរាជ័យ
state-expired = ផុតកំណត់
state-cancelled = បានបោះបង់
state-unverified = មិនបានផ្ទៀងផ្ទាត់
state-underpaid = បានបង់មួយផ្នែក
## renew17 (issue 17): អ៊ីមែលដែលបានចុះឈ្មោះ និងការបន្ត token ដោយស្វ័យប្រវត្តិ
cmd-email = អ៊ីមែលសម្រាប់បន្ត token ដោយស្វ័យប្រវត្តិ
setup-ask-email =
    ជំហានចុងក្រោយ (មិនចាំបាច់) — អ៊ីមែលដែលអ្នកបានចុះឈ្មោះនៅគេហទំព័រ Bakong Open API (យ៉ាងច្រើន {$max} តួអក្សរ)។ បើមានវា ខ្ញុំនឹងបន្ត token របស់អ្នកដោយខ្លួនឯង មុនពេលវាផុតកំណត់។
    សូមផ្ញើអ៊ីមែលនោះ ឬ "រំលង" (skip) ដើម្បីបន្តដោយដៃ។
setup-email-skipped = យល់ព្រម គ្មានការបន្តដោយស្វ័យប្រវត្តិទេ៖ ខ្ញុំនឹងរំលឹកអ្នកមុនពេល token ផុតកំណត់។ អ្នកអាចបន្ថែមអ៊ីមែលពេលក្រោយតាម /email you@example.com។
email-set = បានរក្សាទុកអ៊ីមែល៖ {$email} ✅ ខ្ញុំនឹងបន្ត token Bakong របស់អ្នកដោយខ្លួនឯង មុនពេលវាផុតកំណត់ ហើយនឹងប្រាប់អ្នកពេលរួចរាល់។
email-removed = បានលុបអ៊ីមែលហើយ។ ខ្ញុំនឹងលែងបន្ត token ដោយខ្លួនឯងទៀតហើយ អ្នកនឹងទទួលបានការរំលឹកមុនពេលវាផុតកំណត់។
email-invalid = "{$value}" មិនមែនជាអាសយដ្ឋានអ៊ីមែលដែលខ្ញុំអាចប្រើបានទេ។ វាត្រូវមានទម្រង់ដូច name@example.com ហើយដូចគ្នានឹងអ៊ីមែលដែលអ្នកបានចុះឈ្មោះនៅគេហទំព័រ Bakong Open API។
email-too-long = អ៊ីមែលនេះវែងពេក៖ Bakong ទទួលយកបានយ៉ាងច្រើន {$max} តួអក្សរ។
email-too-many-changes = អ្នកបានកំណត់អ៊ីមែល {$max} ដងរួចហើយក្នុងរយៈពេល ២៤ ម៉ោងចុងក្រោយ មិនបានប្ដូរអ្វីទេ។ សូមព្យាយាមម្ដងទៀតនៅថ្ងៃស្អែក។
email-usage =
    សូមផ្ញើ /email you@example.com ជាមួយអ៊ីមែលដែលអ្នកបានចុះឈ្មោះនៅគេហទំព័រ Bakong Open API៖ ពេលនោះខ្ញុំនឹងបន្ត token របស់អ្នកដោយខ្លួនឯង មុនពេលវាផុតកំណត់។
    /email off ដើម្បីលុបវាចេញ។
email-current = អ៊ីមែលដែលបានចុះឈ្មោះ៖ {$email}។ ប្ដូរវាតាម /email new@example.com ឬលុបវាតាម /email off។
settings-email = អ៊ីមែលដែលបានចុះឈ្មោះ៖ {$email} (បន្ត token ដោយស្វ័យប្រវត្តិ៖ បើក)
settings-email-none = អ៊ីមែលដែលបានចុះឈ្មោះ៖ គ្មាន (បន្ត token ដោយស្វ័យប្រវត្តិ៖ បិទ; កំណត់វាតាម /email)
notice-token-renewed = API token Bakong របស់អ្នកត្រូវបានបន្តដោយស្វ័យប្រវត្តិហើយ ✅ token ថ្មីមានសុពលភាពដល់ {$expiry}។ អ្នកមិនចាំបាច់ធ្វើអ្វីទេ។
notice-renewal-failed = ខ្ញុំមិនអាចបន្ត API token Bakong របស់អ្នកដោយស្វ័យប្រវត្តិបានទេ។ សូមពិនិត្យប្រអប់សំបុត្រដែលអ្នកបានចុះឈ្មោះនៅគេហទំព័រ Bakong Open API (រួមទាំងថត spam)៖ Bakong ប្រហែលជាបានផ្ញើ token ថ្មីទៅទីនោះ បើមិនមានទេ សូមបន្តវានៅលើគេហទំព័រ។ បន្ទាប់មក សូមផ្ញើ token ថ្មីមកតាម /token។ រហូតដល់ពេលនោះ ខ្ញុំនឹងបន្តរំលឹកអ្នក។
## issue 10 (guard10): private chats, receipts, the secret key
private-only = 🔒 ដើម្បីសុវត្ថិភាពហាងរបស់អ្នក ខ្ញុំធ្វើការនេះតែក្នុងការជជែកឯកជនប៉ុណ្ណោះ។ សូមចុចខាងក្រោម ហើយផ្ញើពាក្យបញ្ជានោះមកខ្ញុំនៅទីនោះ។
private-only-button = បើកការជជែកឯកជនជាមួយខ្ញុំ
notice-token-unreadable = ខ្ញុំមិនអាចអាន Bakong API token ដែលបានរក្សាទុករបស់អ្នកបានទៀតទេ ដូច្នេះខ្ញុំមិនអាចបញ្ជាក់ការទូទាត់បានទេ។ សូមផ្ញើ /token ជាមួយ token របស់អ្នកម្ដងទៀត។ ខ្ញុំនឹងពិនិត្យការទូទាត់ដែលកំពុងរង់ចាំរបស់អ្នកភ្លាមៗ នៅពេលវាត្រូវបានរក្សាទុក។
check-not-found-short = ❌ Bakong រកមិនឃើញប្រតិបត្តិការដែលមាន hash ខ្លី និងចំនួនទឹកប្រាក់នេះទេ។ សូមពិនិត្យតួអក្សរទាំង ៨ និងចំនួនទឹកប្រាក់នៅលើបង្កាន់ដៃ។
check-settled = ℹ️ ការទូទាត់នេះបានទូទាត់វិក្កយបត្រ {$bill} របស់អ្នករួចហើយ (កត់ត្រានៅ {$time})។ វាមិនមែនជាការទូទាត់ថ្មីទេ។
check-recorded = ℹ️ ការទូទាត់នេះត្រូវបានកត់ត្រារួចហើយលើវិក្កយបត្រ {$bill} របស់អ្នក ({$time}) ដែលវាមិនត្រូវនឹងវិក្កយបត្រនោះ។ វាមិនមែនជាការទូទាត់ថ្មីទេ។
check-no-charge = វាមិនទាន់បានទូទាត់វិក្កយបត្រណាមួយរបស់អ្នកក្នុងបូតនេះទេ។
## inline12 (issue 12): កាតផ្ទាល់ក្នុងការជជែករបស់អតិថិជន (inline mode)
button-send-customer = 📤 ផ្ញើទៅអតិថិជន
inline-help-title = ស្នើសុំការទូទាត់ក្នុងការជជែកនេះ
inline-help-description = វាយចំនួនទឹកប្រាក់បន្ទាប់ពីឈ្មោះខ្ញុំ ឧទាហរណ៍៖ 5 USD កាហ្វេទឹកកក
inline-help-text = ដើម្បីស្នើសុំការទូទាត់ក្នុងការជជែកណាមួយ សូមវាយឈ្មោះខ្ញុំ បន្ទាប់មកចំនួនទឹកប្រាក់ និងកំណត់ចំណាំ ឧទាហរណ៍៖ 5 USD កាហ្វេទឹកកក។ កាតនឹងធ្វើបច្ចុប្បន្នភាពដោយខ្លួនឯង នៅពេលអតិថិជនបង់ប្រាក់។
inline-keep-typing = សូមវាយបន្ត៖ ចំនួនទឹកប្រាក់ បន្ទាប់មករូបិយប័ណ្ណ និងកំណត់ចំណាំ
inline-invalid-title = ❌ ខ្ញុំមិនអាចបង្កើតសំណើទូទាត់នេះបានទេ
inline-setup-button = សូមរៀបចំហាងរបស់អ្នកជាមុនសិន (២ នាទី)
inline-card-title = ទូទាត់ {$amount} — {$shop}
inline-card-description = ផ្ញើកាត KHQR នេះ៖ វានឹងបង្ហាញ "បានបង់" នៅទីនេះដោយខ្លួនឯង។
inline-failed-title = ❌ ខ្ញុំមិនអាចរៀបចំកាតបានទេ។ សូមព្យាយាមម្ដងទៀត។
inline-not-open-title = ❌ សំណើទូទាត់នេះលែងបើកទៀតហើយ
inline-draft-gone = ⌛ សំណើទូទាត់នេះមិនត្រូវបានរក្សាទុកទេ។ សូមកុំបង់ QR កូដនេះ៖ សូមស្នើសុំថ្មីពីអ្នកលក់។
callback-seller-only = មានតែអ្នកលក់ទេដែលអាចបោះបង់សំណើទូទាត់នេះបាន។
callback-check-wait = ទើបតែពិនិត្យរួច។ សូមព្យាយាមម្ដងទៀតក្នុងរយៈពេលពីរបីវិនាទី។
callback-slow-down = ពិនិត្យច្រើនពេកក្នុងរយៈពេលខ្លី។ ខ្ញុំនឹងបន្តពិនិត្យដោយស្វ័យប្រវត្តិ សូមព្យាយាមម្ដងទៀតក្នុងរយៈពេលមួយនាទី។
## discard12 (issue 12): កាត inline ដែលគ្មាននរណាជ្រើស តែត្រូវបានបង់
state-discarded = មិនបានផ្ញើ (ព្រាង inline)
callback-discarded = កាតនេះមិនត្រូវបានផ្ញើទេ។ សូមកុំបង់វា សូមស្នើសុំកាតថ្មីពីអ្នកលក់។
## chart14 (issue 14 item 3): the chart /history sends, the summary as its caption
history-chart-today = ថ្ងៃនេះ {$date} · តាមម៉ោង
history-chart-yesterday = ម្សិលមិញ {$date} · តាមម៉ោង
history-chart-day = ថ្ងៃ {$date} · តាមម៉ោង
history-chart-week = សប្តាហ៍នេះ {$from} – {$to} · តាមថ្ងៃ
history-chart-month = ខែនេះ {$from} – {$to} · តាមថ្ងៃ
history-chart-series = {$currency}៖ បានទទួល {$sum} · ការទូទាត់ {$count}
history-chart-mon = ចន្ទ
history-chart-tue = អង្គារ
history-chart-wed = ពុធ
history-chart-thu = ព្រហស្បតិ៍
history-chart-fri = សុក្រ
history-chart-sat = សៅរ៍
history-chart-sun = អាទិត្យ

## links15 (issue 15): តំណទូទាត់ — /link និង /links របស់អ្នកលក់ និងផ្នែករបស់អ្នកទិញ
cmd-link = តំណទូទាត់សម្រាប់ការបង្ហោះ និងផ្ទាំងប៉ាណូ៖ /link 5 USD កាហ្វេ uses 20
cmd-links = តំណទូទាត់របស់អ្នក៖ ការលក់ សរុប ផ្អាក ឬបិទ
link-usage =
    សូមផ្ញើ /link ជាមួយតម្លៃ និងអ្វីដែលអ្នកលក់ ឧទាហរណ៍៖
    /link 5 USD កាហ្វេទឹកកក
    /link 5 USD កាហ្វេទឹកកក uses 20 until 2026-12-31 (លក់បានច្រើនបំផុត 20 រហូតដល់ចុងថ្ងៃនោះ)
    /link any USD បរិច្ចាគ (អ្នកទិញវាយចំនួនទឹកប្រាក់ខ្លួនឯង)
    /link any USD min 1 max 50 USD បរិច្ចាគ (ចំនួនទឹកប្រាក់ពី $1 ដល់ $50)
    ជម្រើសអាចនៅកន្លែងណាក៏បានក្នុងបន្ទាត់។ អ្នកណាដែលបើកតំណនេះ នឹងទទួលបាន KHQR ផ្ទាល់ខ្លួនដើម្បីបង់ប្រាក់ឱ្យអ្នក។
link-error-max = "{$value}" មិនមែនជាចំនួនដងដែលខ្ញុំអាចទទួលយកបានទេ៖ សូមសរសេរ uses និងលេខគត់ពី 1 ដល់ {$max} ឧទាហរណ៍ uses 20។
link-error-until = "{$value}" មិនមែនជាកាលបរិច្ឆេទទេ៖ សូមសរសេរ until និងថ្ងៃចុងក្រោយនៃការលក់ជា YYYY-MM-DD ឧទាហរណ៍ until 2026-12-31។
link-error-until-past = ថ្ងៃនោះបានកន្លងផុតហើយ៖ ថ្ងៃចុងក្រោយនៃការលក់អាចជា {$today} ឬក្រោយនោះ។
link-error-missing-value = "{$keyword}" ត្រូវការតម្លៃមួយនៅពីក្រោយវា ឧទាហរណ៍ {$example}។
link-error-repeated = "{$keyword}" មានពីរដង៖ សូមសរសេរជម្រើសនីមួយៗតែម្ដង។
link-error-bound = ក្រោយ {$keyword} "{$value}" មិនមែនជាចំនួនទឹកប្រាក់ដែលខ្ញុំអាចទទួលយកបានទេ។ {$why}
link-error-max-ambiguous = "max {$value}" អាចមានន័យពីរយ៉ាង លើតំណដែលអ្នកទិញវាយចំនួនទឹកប្រាក់ខ្លួនឯង៖ សូមសរសេរ max {$value} {$currency} សម្រាប់ចំនួនទឹកប្រាក់ច្រើនបំផុត ឬ uses {$value} សម្រាប់ចំនួនដែលអាចលក់បាន។
link-error-bound-fixed = {$keyword} ជាមួយចំនួនទឹកប្រាក់ សម្រាប់តែតំណដែលអ្នកទិញវាយចំនួនទឹកប្រាក់ខ្លួនឯងប៉ុណ្ណោះ ឧទាហរណ៍ /link any USD min 1 max 50 USD។ ដើម្បីកំណត់ចំនួនដែលអាចលក់បាន សូមសរសេរ uses 20។
link-error-bound-currency = ចំនួនទឹកប្រាក់ក្រោយ {$keyword} ត្រូវតែជា {$currency} ដែលជារូបិយប័ណ្ណរបស់តំណនេះ។
link-error-min-above-max = ចំនួនទឹកប្រាក់តិចបំផុត ({$min}) ធំជាងចំនួនច្រើនបំផុត ({$max})។
link-options-hint = ពាក្យ max, min, uses, limit និង until តែងតែចាប់ផ្ដើមជម្រើសមួយ ដូច្នេះវាមិនអាចជាផ្នែកនៃឈ្មោះទំនិញបានទេ។
link-created =
    🔗 តំណទូទាត់របស់អ្នករួចរាល់ហើយ៖ {$summary}
    {$url}
    ចែករំលែកវាក្នុងការបង្ហោះ ក្រុម និងការជជែក ឬបោះពុម្ពផ្ទាំងប៉ាណូខាងក្រោម។ អ្នកដែលបើកវាម្នាក់ៗទទួលបាន KHQR ផ្ទាល់ខ្លួន ហើយខ្ញុំនឹងប្រាប់អ្នកពីការទូទាត់នីមួយៗ។ /links បង្ហាញតំណទាំងអស់។
link-poster-caption = 🖨️ ផ្ទាំងប៉ាណូ៖ អតិថិជនស្កេនវាដោយកាមេរ៉ាទូរសព្ទ ដែលបើកតំណរបស់អ្នកក្នុង Telegram ហើយម្នាក់ៗទទួលបាន KHQR ផ្ទាល់ខ្លួននៅទីនោះ។ កម្មវិធីធនាគារមិនអានកូដលើផ្ទាំងប៉ាណូនេះទេ៖ វាជាតំណ មិនមែនជា KHQR ទេ។
link-max = លក់បានច្រើនបំផុត {$max}
link-until = រហូតដល់ {$date}
link-price-any = ចំនួនទឹកប្រាក់ណាមួយជា {$currency}
link-price-any-bounded = ចំនួនទឹកប្រាក់ណាមួយជា {$currency} {$bounds}
link-bounds-range = ពី {$min} ដល់ {$max}
link-bounds-min = យ៉ាងតិច {$min}
link-bounds-max = យ៉ាងច្រើន {$max}
link-state-active = កំពុងលក់
link-state-paused = បានផ្អាក
link-state-closed = បានបិទ
link-list-empty = អ្នកមិនទាន់មានតំណទូទាត់នៅឡើយទេ។ បង្កើតមួយដោយ /link 5 USD កាហ្វេទឹកកក។
link-list-title = 🔗 តំណទូទាត់របស់អ្នក
link-list-uses = បានលក់ {$paid}
link-list-uses-max = បានលក់ {$paid} ក្នុងចំណោម {$max}
link-list-item =
    {$n}. {$summary} — {$state}
    {$uses}, {$open}, បានទទួល {$total}
    {$url}
link-list-held = {$held} កំពុងត្រូវបានកក់ដោយ QR កូដដែលកំពុងបើក យូរបំផុតរហូតដល់ {$time}
link-list-open = QR កូដ {$open} កំពុងបើក យូរបំផុតរហូតដល់ {$time}
link-list-none-open = គ្មាន QR កូដកំពុងបើកទេ
button-link-pause = ⏸️ ផ្អាក {$n}
button-link-resume = ▶️ បន្ត {$n}
button-link-close = ✖️ បិទ {$n}
callback-link-state = តំណ៖ {$state}។
callback-link-unchanged = គ្មានអ្វីផ្លាស់ប្ដូរទេ៖ តំណនេះ {$state}។
link-greeting = សួស្ដី {$name}! {$shop} — {$item}៖ {$price}។
link-ask-amount = តើអ្នកចង់បង់ប៉ុន្មាន? សូមផ្ញើចំនួនទឹកប្រាក់ជា {$currency} ឧទាហរណ៍ 5។
link-ask-amount-bounded = តើអ្នកចង់បង់ប៉ុន្មាន? សូមផ្ញើចំនួនទឹកប្រាក់ជា {$currency} {$bounds}។
link-amount-out-of-bounds = តំណនេះទទួលចំនួនទឹកប្រាក់ {$bounds}។ សូមផ្ញើចំនួនទឹកប្រាក់ម្ដងទៀត។
link-ask-amount-again = សូមផ្ញើចំនួនទឹកប្រាក់ម្ដងទៀត ឧទាហរណ៍ 5។
link-amount-currency = តំណនេះទទួលតែ {$currency} ប៉ុណ្ណោះ។ សូមផ្ញើចំនួនទឹកប្រាក់ជា {$currency}។
link-unknown = តំណទូទាត់នេះមិនមានទេ។ សូមពិនិត្យតំណជាមួយអ្នកលក់។
link-closed = តំណទូទាត់នេះត្រូវបានបិទ៖ អ្នកលក់លែងលក់តាមរយៈវាទៀតហើយ។
link-paused = តំណទូទាត់នេះត្រូវបានផ្អាកសិន។ សូមព្យាយាមម្ដងទៀតនៅពេលក្រោយ ឬសួរអ្នកលក់។
link-ended = តំណទូទាត់នេះបានបញ្ចប់នៅថ្ងៃ {$date}។
link-sold-out = អស់ហើយ៖ អ្វីៗទាំងអស់នៅលើតំណនេះត្រូវបានទិញរួចហើយ។
link-sold-out-for-now = អស់សិនហើយ៖ ទំនិញចុងក្រោយកំពុងរង់ចាំការទូទាត់របស់អ្នកទិញផ្សេងទៀត។ សូមព្យាយាមម្ដងទៀតក្នុងរយៈពេលពីរបីនាទី។
link-unavailable = អ្នកលក់មិនអាចទទួលការទូទាត់បានទេនៅពេលនេះ។ សូមព្យាយាមម្ដងទៀតនៅពេលក្រោយ។
link-slow-down = សូមរង់ចាំបន្តិច៖ ព្យាយាមម្ដងទៀតក្នុងរយៈពេលពីរបីវិនាទី។
link-busy = មានមនុស្សច្រើនកំពុងស្នើសុំតំណនេះឥឡូវនេះ។ សូមព្យាយាមម្ដងទៀតក្នុងរយៈពេលមួយនាទី។
link-buyer-limit = QR កូដចុងក្រោយរបស់អ្នកសម្រាប់តំណនេះបានផុតកំណត់ដោយគ្មានការទូទាត់។ អ្នកអាចទទួលបាន QR ថ្មីចាប់ពីម៉ោង {$time}។
link-qr-again = អ្នកមាន QR កូដសម្រាប់តំណនេះរួចហើយ៖ នេះជាវាម្ដងទៀត។ វាមានសុពលភាពរហូតដល់ {$time}។
link-qr-coming = QR កូដរបស់អ្នកសម្រាប់តំណនេះកំពុងមក។
link-qr-ending = QR កូដរបស់អ្នកសម្រាប់តំណនេះទើបតែបានបញ្ចប់៖ កាតរបស់វាបង្ហាញពីលទ្ធផល។ អ្នកអាចស្នើសុំ QR ថ្មីក្នុងរយៈពេលពីរបីវិនាទីទៀត។
link-new-qr-not-expired = QR កូដនេះនៅមានសុពលភាព៖ អ្នកអាចបង់វាបាន។
link-new-qr-sent = នេះជា QR កូដថ្មី។
link-new-qr-again = QR កូដរបស់អ្នកសម្រាប់តំណនេះនៅតែបើក៖ នេះជាវាម្ដងទៀត។
charge-send-uncertain-buyer = Telegram មិនបានបញ្ជាក់ថា QR កូដបានមកដល់ទេ។ ប្រសិនបើអ្នកឃើញវា វាមានសុពលភាពរហូតដល់ {$time}។
button-paid-check = ✅ ខ្ញុំបានបង់ហើយ — ពិនិត្យ
button-new-qr = 🔄 QR ថ្មី
link-sale = 💰 {$buyer} បានបង់ {$amount} សម្រាប់ {$item} តាមរយៈតំណទូទាត់របស់អ្នក ពី {$payer} ({$time})។
link-sale-over = នោះលើសពីតម្លៃ ({$price}) {$excess}។
link-sale-underpaid = ⚠️ {$buyer} បានបង់ {$amount} នៃ {$price} សម្រាប់ {$item} តាមរយៈតំណទូទាត់របស់អ្នក ពី {$payer} ({$time})៖ នៅខ្វះ {$missing}។ ពួកគេត្រូវបានប្រាប់កុំឲ្យបង់កូដ QR នោះម្ដងទៀត។
link-sale-mismatch = ⚠️ {$buyer} បានផ្ញើ {$amount} សម្រាប់ {$item} តាមរយៈតំណទូទាត់របស់អ្នក ({$price}) ពី {$payer} ({$time}) ជារូបិយប័ណ្ណផ្សេងពីតម្លៃ៖ ប្រាក់បានចូលគណនីរបស់អ្នកហើយ។ សូមពិនិត្យជាមួយពួកគេ។
link-sale-not-counted = ⚠️ ប្រាក់ផ្ទេរ {$amount} សម្រាប់ {$item} ({$price}) ពីកូដ QR របស់ {$buyer} បានចូល {$to} មិនមែនគណនីរបស់អ្នកទេ ពី {$payer} ({$time})។ វាមិនត្រូវបានរាប់បញ្ចូលទេ។ សូមពិនិត្យវាក្នុងកម្មវិធី Bakong របស់អ្នក។
link-sale-late = វាមកដល់ក្រោយពេល QR កូដផុតកំណត់៖ ប្រាក់នោះនៅតែជារបស់អ្នក។
link-sale-over-limit = នេះលើសពីដែនកំណត់របស់តំណ (ការទូទាត់យឺតសម្រាប់ទំនិញដែលបានទៅអ្នកទិញម្នាក់ទៀតរួចហើយ)៖ អ្នកបានលក់លើសពីគម្រោងមួយ។
poster-title = ស្កេនដោយកាមេរ៉ាទូរសព្ទ — បើក Telegram
poster-footer = នេះមិនមែនជា KHQR ទេ៖ កម្មវិធីធនាគារមិនអានកូដនេះទេ។ Telegram នឹងបើក ហើយផ្ដល់ KHQR ផ្ទាល់ខ្លួនឱ្យអ្នក ដែលអ្នកបង់ប្រាក់ដោយកម្មវិធីធនាគាររបស់អ្នក។
link-status-expired-caption =
    ⌛ ផុតកំណត់ — {$amount} — {$shop}
    មិនមានការទូទាត់មកដល់មុនម៉ោង {$time} ទេ។ សូមចុច "QR ថ្មី" ដើម្បីទទួលបាន QR ថ្មីមួយ។
link-greeting-no-item = សួស្ដី {$name}! {$shop}៖ {$price}។
## reports14 (issue 14): closing summary (/close), /export, longer /history periods
cmd-close = សេចក្ដីសង្ខេបបិទបញ្ជីប្រចាំថ្ងៃ៖ /close 21:30, /close off
cmd-export = តារាង (CSV + Excel)៖ /export month, /export 2026-11
close-usage = សូមផ្ញើ /close 21:30 ដើម្បីទទួលសេចក្ដីសង្ខេបរាល់ថ្ងៃនៅម៉ោងនោះ (ម៉ោងភ្នំពេញ ២៤ម៉ោង), /close off ដើម្បីបញ្ឈប់ ឬ /close ដើម្បីមើលការកំណត់។
close-is-on = 🧾 សេចក្ដីសង្ខេបបិទបញ្ជីរបស់អ្នកមកដល់រាល់ថ្ងៃនៅម៉ោង {$time} (ម៉ោងភ្នំពេញ)។ /close off ដើម្បីបញ្ឈប់។
close-is-off = 🧾 មិនទាន់បានកំណត់សេចក្ដីសង្ខេបបិទបញ្ជីទេ។ សូមផ្ញើ /close 21:30 ដើម្បីទទួលវារាល់ថ្ងៃនៅម៉ោងនោះ។
close-turned-off = 🧾 បានបិទសេចក្ដីសង្ខេបបិទបញ្ជី។ សូមផ្ញើ /close 21:30 ដើម្បីបើកវាម្ដងទៀត។
close-set = 🧾 រួចរាល់៖ រាល់ថ្ងៃនៅម៉ោង {$time} (ម៉ោងភ្នំពេញ) អ្នកនឹងទទួលសេចក្ដីសង្ខេបបិទបញ្ជីនៃ{$covers}។ ថ្ងៃដែលគ្មានការគិតប្រាក់ នឹងមិនផ្ញើអ្វីទេ។
close-covers-today = ២៤ម៉ោងរហូតដល់ម៉ោង {$time} (ចាប់ពីម៉ោង {$time} ថ្ងៃមុន)
close-covers-yesterday = ថ្ងៃដែលទើបនឹងចប់ (ពីអាធ្រាត្រដល់អាធ្រាត្រ)
close-title-today = 🧾 សេចក្ដីសង្ខេបបិទបញ្ជី — {$date} ពីម្សិលមិញម៉ោង {$time} ដល់ថ្ងៃនេះម៉ោង {$time}
close-title-yesterday = 🧾 សេចក្ដីសង្ខេបបិទបញ្ជី — {$date} ថ្ងៃដែលទើបនឹងចប់
close-no-payments = មិនទាន់មានការទូទាត់ទេ។
close-others = ⌛ ផុតកំណត់ {$expired} · ❌ បរាជ័យ {$failed} · ✖️ បានបោះបង់ {$cancelled}
close-top = មុខទំនិញលក់ដាច់ជាងគេ៖
close-no-note = (គ្មានកំណត់ចំណាំ)
close-top-line = • {$note} — {$count} ដង · {$sum}
close-vs-title = ប្រៀបធៀបនឹងថ្ងៃដូចគ្នាកាលពីសប្ដាហ៍មុន ({$date})៖
close-vs-none = គ្មានការទូទាត់ទាំងពីរថ្ងៃ។
close-vs-new = {$currency}៖ {$sum} (សប្ដាហ៍មុនគ្មាន)
close-vs-line = {$currency}៖ {$sum} ធៀបនឹង {$before} ({$change})
period-reversed = រយៈពេលនេះបញ្ចប់ ({$last}) មុនពេលចាប់ផ្ដើម ({$first})។ សូមដាក់កាលបរិច្ឆេទមុនជាមុនសិន ឧទាហរណ៍ 2026-11-01..2026-11-30។
period-too-long = រយៈពេលនោះមាន {$days} ថ្ងៃ។ អាចយកបានច្រើនបំផុត {$max} ថ្ងៃក្នុងម្ដង។
history-title-month-of = 📊 ខែ ({$from} – {$to})
history-title-range = 📊 ពី {$from} ដល់ {$to}
export-usage = សូមផ្ញើ /export (ថ្ងៃនេះ), /export yesterday, week, month, ខែមួយដូចជា /export 2026-11, ថ្ងៃមួយដូចជា /export 2026-11-30 ឬរយៈពេលដូចជា /export 2026-11-01..2026-11-15។
export-empty = {$period}៖ គ្មានការគិតប្រាក់ក្នុងរយៈពេលនេះទេ ដូច្នេះគ្មានអ្វីត្រូវនាំចេញទេ។
export-too-big = ឯកសារនាំចេញនេះធំជាងកម្រិតដែល Telegram អនុញ្ញាត (50 MB)។ សូមស្នើរយៈពេលខ្លីជាងនេះ។
export-caption =
    {$period}៖ {$count} ជួរ
    {$paid}
    {$rule}
export-caption-paid = 💵 បានទទួល {$sum} · ការទូទាត់ {$count}
export-caption-attention = ⚠️ ក្នុងនោះ {$sum} ត្រូវពិនិត្យ
export-rule = មួយជួរសម្រាប់ការទូទាត់នីមួយៗ តាមពេលដែលអតិថិជនបានបង់ (វិក្កយបត្រដែលបានបង់ពីរដងមានពីរជួរ); ការគិតប្រាក់ដែលគ្មានការទូទាត់ តាមពេលដែលវាបានបញ្ចប់ ហើយការគិតប្រាក់ដែលកំពុងរង់ចាំ តាមពេលបង្កើត។ "បានទទួល" គឺជាប្រាក់ដែលបានចូលគណនីរបស់អ្នក ហើយសរុបគឺជាផលបូករបស់វា។ ម៉ោងគឺម៉ោងភ្នំពេញ (UTC+7)។
export-col-created = បានបង្កើត
export-col-paid = ពេលបង់ប្រាក់
export-col-status = ស្ថានភាព
export-col-amount = ចំនួនទឹកប្រាក់
export-col-currency = រូបិយប័ណ្ណ
export-col-note = កំណត់ចំណាំ
export-col-bill = លេខវិក្កយបត្រ
export-col-reference = លេខយោង
export-col-payer = អ្នកបង់
export-col-hash = លេខយោង Bakong (hash)
export-col-late = បង់យឺតក្រោយពេល
export-col-received = បានទទួល
export-col-received-currency = រូបិយប័ណ្ណដែលបានទទួល
export-col-received-to = បានទទួលចូល
export-col-payment = ការទូទាត់
export-col-rest-of = ប្រាក់ដែលនៅសល់នៃវិក្កយបត្រ
export-sheet-charges = ការគិតប្រាក់
export-sheet-totals = សរុប
export-totals-paid-count = ការទូទាត់
export-totals-paid-sum = បានទទួល
export-totals-attention = ក្នុងនោះត្រូវពិនិត្យ
export-totals-count = ការគិតប្រាក់
export-totals-not-counted = ប្រាក់ផ្ទេរដែលមិនបានចូលគណនីរបស់អ្នក
export-late-cancelled = បានបោះបង់
export-late-expired = ផុតកំណត់
## coordinator: issue 14's period forms on the chart, a discarded draft in the export
history-chart-range = {$from} – {$to} · តាមថ្ងៃ
export-late-discarded = មិនបានផ្ញើ (ព្រាង inline)
export-late-failed = បរាជ័យ
export-late-unverified = មិនបានផ្ទៀងផ្ទាត់
pay-fit-exact = ត្រឹមត្រូវ
pay-fit-over = លើសពីចំនួនដែលបានស្នើ
pay-fit-under = តិចជាងចំនួនដែលបានស្នើ
pay-fit-other-currency = រូបិយប័ណ្ណផ្សេង
pay-fit-not-counted = មិនបានចូលគណនីរបស់អ្នក
pay-extra = ការទូទាត់មួយទៀតនៃវិក្កយបត្រ

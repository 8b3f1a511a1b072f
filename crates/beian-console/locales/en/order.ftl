# The applicant's orders: list, status page, documents, SMS verification, notifications.
order-list-title = My filings
order-list-new = Start a new filing
order-list-empty = You have no filings yet. Start by checking the filing type.
order-list-number = Filing no.

order-title = Filing no. { $id }
order-state = Status
order-type = Filing type
order-expected = Expected decision by
order-expected-estimated = { $date } (estimated: that year's public holidays are not published yet)
order-subject = Subject
order-subject-number = Subject ICP number
order-report-errors = The application still has { $count } problem(s) to fix before it can be submitted.
order-websites = Websites
order-website-number = ICP number:
order-to-filed = My websites and their footer snippets
order-back = Back to the filing
order-note = Note:

order-state-draft = Draft
order-state-provider_review = Provider review
order-state-verification = Verification
order-state-ready_for_administration = Waiting to go to the administration
order-state-sms_verification = SMS verification
order-state-administration_review = Administration review
order-state-approved = Approved
order-state-withdrawn = Withdrawn
order-state-expired = Expired

order-help-draft = You are preparing or correcting the application. Submit it when it has no problems left.
order-help-provider_review = Your provider's reviewers are checking the application (usually within 1 working day).
order-help-verification = Upload the documents listed below; each upload is reviewed within 1 working day.
order-help-ready_for_administration = Verified. Your provider will submit the filing to the communications administration (usually within 1 working day).
order-help-sms_verification = The administration has texted a verification code to the subject administrator's mobile. Enter it within 24 hours.
order-help-administration_review = The communications administration is reviewing the filing (up to 20 working days). Nothing can be changed or withdrawn now.
order-help-approved = Approved: the ICP numbers are below. Show the website's number at the bottom of its pages, linked to the MIIT site.
order-help-withdrawn = You withdrew this filing. Start a new one when you are ready.
order-help-expired = This filing expired 45 days after its first submission without approval. Start a new one.

order-type-initial = Initial filing
order-type-add_website = Added website
order-type-add_website_elsewhere = Added website (subject filed with another provider)
order-type-transfer = New access (transfer)
order-type-change_subject = Subject change
order-type-change_website = Website change
order-type-change_access = Access change
order-type-cancel_subject = Subject cancellation
order-type-cancel_website = Website cancellation
order-type-cancel_access = Access cancellation

order-action-edit = Edit the application
order-action-delete = Delete the draft
order-action-submit = Submit for review
order-action-withdraw = Withdraw the filing
order-action-sms = Enter the SMS code

order-actor-you = You
order-actor-applicant = The applicant
order-actor-provider = The provider's reviewer
order-actor-administration = The administration
order-actor-system = The system

order-did-edit = edited the application
order-did-delete = deleted the draft
order-did-submit = submitted the filing
order-did-withdraw = withdrew the filing
order-did-provider_pass = passed the preliminary review
order-did-provider_reject = rejected the filing
order-did-complete_verification = completed verification
order-did-submit_to_administration = submitted the filing to the administration
order-did-sms_verified = confirmed the SMS verification
order-did-sms_failed = failed the SMS verification (too many wrong answers)
order-did-sms_timeout = closed the SMS verification (24 hours passed)
order-did-administration_approve = approved the filing and issued the numbers
order-did-administration_reject = rejected the filing
order-did-expire = closed the filing (45 days passed)
order-did-other = recorded a step

order-timeline = History
order-times-china = Times are China Standard Time (UTC+8).

order-documents = Documents
order-doc-lead = Upload each document below. A new upload replaces the previous one.
order-doc-later = These documents are uploaded after the provider's preliminary review passes.
order-doc-not-yours = The applicant uploads these documents.
order-doc-missing = Not uploaded
order-doc-pending = Awaiting review
order-doc-accepted = Accepted
order-doc-rejected = Rejected: upload again
order-doc-what-to-do = What to do:
order-doc-choose = Choose a file
order-doc-replace = Choose a new file to replace it
order-doc-hint = A clear photo or scan: JPG, PNG or GIF, at most { $mb } MB. It is checked by its content and stored without its metadata (location and the like).
order-doc-uploading = Uploading…
order-doc-upload = Upload
order-doc-statements-needed = The provider also needs the three signed originals of the authenticity statement by post.
order-doc-statements-received = The originals of the authenticity statement have arrived.

order-withdraw-title = Withdraw the filing
order-withdraw-question = Withdraw filing no. { $id }?
order-withdraw-consequence = The filing ends here and cannot be resumed; to file again you start a new application.
order-withdraw-confirm = Yes, withdraw it
order-delete-title = Delete the draft
order-delete-question = Delete draft no. { $id }?
order-delete-consequence = The draft and what you entered in it are removed.
order-delete-confirm = Yes, delete it
order-confirm-cancel = No, go back

order-sms-title = SMS verification
order-sms-lead = The communications administration has texted a six-digit verification code to the subject administrator's mobile:
order-sms-window = Enter it within 24 hours of the text. After three wrong answers, or after 24 hours, your provider submits the filing again and a new code is sent.
order-sms-code = Verification code
order-sms-code-hint = Six digits, from the text message.
order-sms-submit = Verify
order-sms-none = No SMS verification is pending for this filing.
order-sms-wrong = The code is not right. You can try { $left } more time(s).
order-sms-failed = Too many wrong answers: the verification failed. Your provider will submit the filing again and a new code will be sent.
order-sms-timed-out = The 24 hours have passed. Your provider will submit the filing again and a new code will be sent.
order-sms-not-pending = This filing is not waiting for an SMS verification any more.

order-notifications = Notifications
order-notes-none = Nothing new yet. This list updates by itself.
order-notes-stale = The status of this filing has changed.
order-notes-reload = Reload the page to see it.
order-event-state = Status changed: { $from } → { $to }.
order-event-document-accepted = A document was accepted.
order-event-document-rejected = A document was rejected: see the documents section for the reason.
order-event-backdrop = The backdrop for your photo has been posted.
order-event-sla = A review step is past its deadline.
order-event-other = The filing was updated.
order-rejected-fields = The review rejected these fields: change them, then submit again:

;;; silcrow-eglot-test.el --- Emacs eglot (a plain LSP client) against `silcrow serve'  -*- lexical-binding: t; -*-

;; Run by scripts/test-eglot:
;;   emacs --batch -Q -l tests/eglot/silcrow-eglot-test.el -f silcrow-test-run
;; with SILCROW_PYTHON (the interpreter that has silcrow), SILCROW_TEST_DIR (a
;; fresh workspace) and SILCROW_DB set.  eglot 1.9 (Debian's elpa-eglot) is a
;; client without Silcrow's UI: no experimental.silcrow, no resourceOperations.
;;
;; What it checks, as a user would meet it:
;; 1. The "Explain this" code action, picked from eglot's own menu, answers
;;    at once: jsonrpc's request timeout is cut to 3 s for it (once the
;;    daemon answers code actions at all) and the scripted turn takes
;;    longer, so a blocking executeCommand fails the test.
;; 2. The answer reaches the plain client: the summary message (shown by
;;    eglot in *Messages*) holds the scripted answer.
;; 3. "Fix this" makes the agent write the file: it is written once, by the
;;    daemon, with no workspace/applyEdit; the buffer reloads from disk
;;    (auto-revert) and saving it asks nothing ("changed since visited").
;; Exit code 0 when all hold; 1 with the reason otherwise.

(require 'cl-lib)
(require 'subr-x)
(require 'package)
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")  ; Debian's elpa-eglot
(package-initialize)
(require 'eglot)
(require 'autorevert)

(defvar silcrow-test-root (file-name-as-directory (getenv "SILCROW_TEST_DIR")))
(defvar silcrow-test-deadline 60 "Seconds any one wait may take before the test fails.")
(defvar silcrow-test-edits 0 "workspace/applyEdit requests eglot received.")
(defvar silcrow-test-prompts nil "Questions Emacs asked (none may be asked).")

(defun silcrow-test-fail (fmt &rest args)
  (let ((text (apply #'format fmt args)))
    (princ (format "test-eglot: FAIL: %s\n" text) #'external-debugging-output)
    (when-let ((server (ignore-errors (eglot-current-server))))
      (with-current-buffer (jsonrpc-events-buffer server)
        (princ (format "--- last of the events buffer ---\n%s\n"
                       (buffer-substring-no-properties
                        (max (point-min) (- (point-max) 4000)) (point-max)))
               #'external-debugging-output)))
    (kill-emacs 1)))

(defun silcrow-test-wait (what predicate)
  "Wait for PREDICATE (WHAT says what for), serving the connection meanwhile."
  (let ((until (+ (float-time) silcrow-test-deadline)))
    (while (not (funcall predicate))
      (when (> (float-time) until)
        (silcrow-test-fail "no %s within %s s" what silcrow-test-deadline))
      (accept-process-output nil 0.05))))

(defun silcrow-test-messages ()
  (with-current-buffer (messages-buffer) (buffer-string)))

(defun silcrow-test-run-action (title)
  "Pick TITLE from eglot's code-action menu on the whole buffer, as a user would."
  (goto-char (point-min))
  (push-mark (point-max) t t)
  (cl-letf (((symbol-function 'completing-read)
             (lambda (_prompt collection &rest _)
               (or (car (assoc title collection))
                   (silcrow-test-fail "no %S among the code actions %S" title
                                      (mapcar #'car collection))))))
    (let ((last-nonmenu-event 13))  ; a key, not a mouse event: eglot reads the menu
      (call-interactively #'eglot-code-actions))))

(defun silcrow-test-run ()
  (let* ((file (expand-file-name "calc.py" silcrow-test-root))
         (python (getenv "SILCROW_PYTHON"))
         (eglot-sync-connect 30)
         (eglot-autoshutdown nil)
         (auto-revert-use-notify nil)
         (project-find-functions
          (list (lambda (_dir) (cons 'transient silcrow-test-root))))
         (eglot-server-programs `((python-mode ,python "-m" "silcrow" "serve"))))
    (advice-add 'eglot--apply-workspace-edit :before
                (lambda (&rest _) (cl-incf silcrow-test-edits)))
    (dolist (asker '(yes-or-no-p y-or-n-p read-string read-from-minibuffer))
      (advice-add asker :override
                  (lambda (prompt &rest _)
                    (push prompt silcrow-test-prompts)
                    (silcrow-test-fail "Emacs asked: %s" prompt))))
    (find-file file)
    (python-mode)
    (apply #'eglot (eglot--guess-contact))  ; M-x eglot (eglot-ensure waits for a command loop)
    (silcrow-test-wait "eglot connection" (lambda () (ignore-errors (eglot-current-server))))
    (silcrow-test-wait "initialized server"
                       (lambda () (eglot--server-capable :codeActionProvider)))
    (eglot-code-actions (point-min) (point-max))  ; the daemon is up and answering


    ;; 1 and 2: Explain answers at once; the answer arrives as the summary message.
    (condition-case err
        (let ((jsonrpc-default-request-timeout 3))  ; eglot's own is 10 s
          (silcrow-test-run-action "Explain this"))
      (error (silcrow-test-fail "Explain this: %s" (error-message-string err))))
    (silcrow-test-wait "the explanation"
                       (lambda () (string-match-p "Silcrow: add() subtracts"
                                                  (silcrow-test-messages))))

    ;; 3: Fix writes the file once, through the daemon; the buffer reloads.
    (condition-case err
        (silcrow-test-run-action "Fix this")
      (error (silcrow-test-fail "Fix this: %s" (error-message-string err))))
    (silcrow-test-wait "the fix's summary"
                       (lambda () (string-match-p "Silcrow: Fixed" (silcrow-test-messages))))
    (unless (zerop silcrow-test-edits)
      (silcrow-test-fail "eglot got %d workspace/applyEdit for a file the daemon writes"
                         silcrow-test-edits))
    (let ((on-disk (with-temp-buffer (insert-file-contents file) (buffer-string))))
      (unless (string-match-p "return a \\+ b" on-disk)
        (silcrow-test-fail "calc.py on disk is not fixed: %S" on-disk)))
    (when (buffer-modified-p)
      (silcrow-test-fail "the buffer was changed in Emacs as well as on disk"))
    (auto-revert-mode 1)
    (auto-revert-handler)               ; what the auto-revert timer does
    (unless (string-match-p "return a \\+ b" (buffer-string))
      (silcrow-test-fail "the buffer did not reload the fixed file: %S" (buffer-string)))
    (goto-char (point-max))
    (insert "# reviewed\n")
    (save-buffer)                       ; asks "changed since visited?" if written twice
    (princ "test-eglot: ok: Explain answered at once, the answer was shown, the fix was written once\n"
           #'external-debugging-output)
    (ignore-errors (eglot-shutdown (eglot-current-server)))
    (kill-emacs 0)))

;;; silcrow-eglot-test.el ends here

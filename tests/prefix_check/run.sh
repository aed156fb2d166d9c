#!/usr/bin/env bash
# Issue 11's regression tests against the code before the fixes (8f8bd92) and against a commit with them (HEAD).
#
#   tests/prefix_check/run.sh                   # SQLite
#   TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54330/scratch \
#   BASE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54330/scratch_old tests/prefix_check/run.sh
#
# Each side is a throw-away git worktree (removed at the end). Both get this checkout's tests/conftest.py (on
# 8f8bd92 with one adaptation, below) and the adapted test files of this folder (prefix_*.py; each says what was
# adapted and why). The test files of tests/ listed in TESTS are copied unchanged. Prints pytest's one line per test
# for each side: on 8f8bd92 every listed test should FAIL, on HEAD every one should PASS.
# On PostgreSQL give 8f8bd92 a database of its own (BASE_DATABASE_URL): the two versions' schemas differ.
set -uo pipefail

BASE=${BASE:-8f8bd92}
HEAD_REF=${HEAD_REF:-HEAD}
PY=${PY:-python}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
work=$(mktemp -d)

# Copied unchanged from tests/ (they only use what both versions have).
TESTS=(test_auth_hardening.py test_extension_races.py test_api_tickets.py)
# Node ids run on both sides, by issue item.
NODES=(
  # 1 decode cost
  "prefix_photo_limits.py::test_progressive_jpeg_with_repeated_scans_refused"
  "prefix_photo_limits.py::test_api_refuses_the_scan_bomb_and_files_nothing"
  "prefix_photo_limits.py::test_progressive_jpeg_above_52_mp_refused_before_decoding"
  "prefix_photo_limits.py::test_png_above_16_mp_refused"
  "prefix_photo_limits.py::test_webp_above_16_mp_refused"
  "prefix_photo_limits.py::test_request_decode_budget"
  "prefix_photo_limits.py::test_parallel_uploads_of_one_user_beyond_its_slots_get_429"
  "prefix_photo_limits.py::test_parallel_uploads_beyond_the_process_slots_get_503"
  # 2 unprintable letter
  "prefix_letter_address.py"
  # 3 capture times
  "prefix_photo_limits.py::test_implausible_exif_capture_time_is_dropped"
  "prefix_photo_limits.py::test_filing_with_impossible_capture_times_then_reading_it"
  # 4 extension races
  "test_extension_races.py"
  # 5 logout
  "test_auth_hardening.py::test_logout_ends_a_copied_session_cookie_but_not_other_devices"
  "test_auth_hardening.py::test_logout_ends_the_remember_me_cookie"
  "test_auth_hardening.py::test_remember_me_token_rotates_and_the_old_one_dies"
  # 6 login throttle
  "test_auth_hardening.py::test_an_attacker_elsewhere_cannot_lock_the_owner_out"
  "test_auth_hardening.py::test_a_success_clears_only_its_own_address"
  "test_auth_hardening.py::test_an_address_has_a_generous_ceiling_over_all_accounts"
  "test_auth_hardening.py::test_parallel_wrong_passwords_are_checked_at_most_the_free_number_of_times"
  "test_auth_hardening.py::test_a_correct_password_inside_a_burst_does_not_get_past_the_limit"
  # 7 spreadsheet bombs
  "prefix_spreadsheet_limits.py"
  # 8 long work in a request
  "prefix_background_jobs.py"
  # 9 temporary passwords
  "test_auth_hardening.py::test_a_temporary_password_opens_only_the_change_password_page"
  "test_auth_hardening.py::test_the_api_refuses_a_token_until_the_password_is_changed"
  # 10 timing
  "test_auth_hardening.py::test_unknown_and_inactive_users_cost_one_hash_like_known_ones"
  # 11 bad bytes
  "test_auth_hardening.py::test_nul_in_login_is_400"
  "test_auth_hardening.py::test_nul_in_filters_is_400_with_the_error_shape"
  "test_auth_hardening.py::test_nul_in_description_and_reason_is_400_and_files_nothing"
  "test_auth_hardening.py::test_a_lone_surrogate_in_json_is_400"
  "test_auth_hardening.py::test_deeply_nested_json_is_400_even_unauthenticated"
  "test_auth_hardening.py::test_a_nul_in_a_page_form_gets_the_message_on_the_form"
  # 12 reused Idempotency-Key
  "test_api_tickets.py::test_the_same_key_with_another_report_is_refused"
  # 13 CSRF rotation, common passwords
  "test_auth_hardening.py::test_the_csrf_token_changes_at_login"
  "test_auth_hardening.py::test_login_starts_a_new_session"
  "test_auth_hardening.py::test_common_passwords_are_refused"
  "test_auth_hardening.py::test_the_demo_password_is_the_one_on_the_list"
  "test_auth_hardening.py::test_changing_to_a_common_password_is_refused_on_the_page"
  "test_auth_hardening.py::test_create_user_refuses_the_demo_password"
  # the fuzz pass
  "prefix_fuzz.py"
)

cleanup() {
  for side in base head; do
    [ -d "$work/$side" ] && git -C "$repo" worktree remove --force "$work/$side" >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT

prepare() {  # prepare <side> <ref>
  local tree="$work/$1"
  git -C "$repo" worktree add --detach --quiet "$tree" "$2" || exit 1
  cp "$repo/tests/conftest.py" "$tree/tests/conftest.py"
  if [ ! -f "$tree/inspect_app/auth/sessions.py" ]; then
    # ADAPTATION of conftest for 8f8bd92: its session cookie holds user.get_id(); there are no session rows.
    "$PY" - "$tree/tests/conftest.py" <<'EOF'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
old = "    from inspect_app.auth import sessions\n"
new = ("    try:\n        from inspect_app.auth import sessions\n    except ImportError:  # 8f8bd92\n"
       "        return user.get_id()\n")
assert old in text
open(path, "w", encoding="utf-8").write(text.replace(old, new, 1))
EOF
  fi
  for name in "${TESTS[@]}"; do cp "$repo/tests/$name" "$tree/tests/$name"; done
  cp "$here"/prefix_*.py "$tree/tests/"
}

run() {  # run <side>
  local tree="$work/$1" nodes=()
  for node in "${NODES[@]}"; do nodes+=("tests/$node"); done
  local url=${TEST_DATABASE_URL:-}
  [ "$1" = base ] && url=${BASE_DATABASE_URL:-$url}
  echo "== $1 ($(git -C "$tree" rev-parse --short HEAD)) ${url:+on PostgreSQL}"
  (cd "$tree" && TEST_DATABASE_URL=$url "$PY" -m pytest -q -p no:cacheprovider --tb=no -rA "${nodes[@]}" 2>&1 \
     | grep -E "^(PASSED|FAILED|ERROR) |passed|failed")
}

SIDES=${SIDES:-base head}  # SIDES=head runs one side only
for side in $SIDES; do
  if [ "$side" = base ]; then prepare base "$BASE"; else prepare head "$HEAD_REF"; fi
  run "$side"
done

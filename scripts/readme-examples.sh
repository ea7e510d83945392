#!/usr/bin/env bash
# Runs every example of the README and the docs (the bash blocks between the `examples` markers;
# the README's first, then docs/*.md in name order, in one shell, so the docs' examples use the
# README's booking) against the running stack (local, or docker compose's), then checks that they
# did what the README says. Used by CI.
set -euo pipefail
cd "$(dirname "$0")/.."

blocks() { awk '/<!-- examples:start -->/{on=1; next} /<!-- examples:end -->/{on=0} on' "$1" |
  awk '/^```bash$/{code=1; next} /^```$/{code=0} code'; }
examples=""
for file in README.md docs/*.md; do
  found=$(blocks "$file")
  [ -z "$found" ] || { examples+="$found"$'\n'; echo "readme-examples: $(grep -c '<!-- examples:start -->' "$file") block(s) from $file"; }
done
[ -n "$(blocks README.md)" ] || { echo "readme-examples: no examples found in README.md"; exit 1; }

checks='
status=$(curl -sf "localhost:3000/reservations/$BOOKING_ID" -H "authorization: Bearer $GUEST" | jq -r .status)
[ "$status" = CANCEL ] || { echo "readme-examples: booking ended $status, expected CANCEL"; exit 1; }
free=$(curl -sf "localhost:3001/rooms/$ROOM_ID/availability?from=$CHECK_IN&to=$CHECK_OUT" | jq "[.nights[].available] | min")
[ "$free" = 2 ] || { echo "readme-examples: availability $free after cancel, expected 2"; exit 1; }
paid=$(curl -sf "localhost:3000/reservations/$PAID_ID" -H "authorization: Bearer $GUEST" | jq -c "[.status, .refunded.amount, .kept.amount]")
[ "$paid" = "[\"CANCEL\",36000,0]" ] || { echo "readme-examples: the prepaid booking ended $paid, expected CANCEL refunded 36000"; exit 1; }
declined=$(curl -sf "localhost:3000/reservations/$DECLINED_ID" -H "authorization: Bearer $BOB" | jq -r "[.status, .reason] | join(\" \")")
[ "$declined" = "FAILURE PAYMENT_DECLINED" ] || { echo "readme-examples: the booking without a deposit ended $declined"; exit 1; }
moved=$(curl -sf "localhost:3000/reservations/$MOVE_ID" -H "authorization: Bearer $GUEST" | jq -c "[.status, .checkIn, .checkOut, .total.amount, .lastChange.status]")
[ "$moved" = "[\"SUCCESS\",\"$NEW_IN\",\"$NEW_OUT\",27000,\"CHANGED\"]" ] || { echo "readme-examples: the date change ended $moved"; exit 1; }
echo "readme-examples: all examples ran; the booking went PENDING -> SUCCESS -> CANCEL, the prepaid one was charged and refunded, the one without a deposit declined, the date change moved the family room and charged the difference"
'
bash -euo pipefail -c "$examples
$checks"

"""The risk rules' words for the translators: the kernel (no Django) holds them as
message ids; these marks put them in the catalogues, and the pages translate them."""

from django.utils.translation import gettext_noop

MESSAGES = [
    gettext_noop('Injury after a blind interval or transport'),
    gettext_noop(
        'An examination finds an injury (new since the previous examination, or any at '
        'the first) and, since the previous examination, the person spent at least '
        '%(blind_minutes)s minutes somewhere no working camera recorded, or was moved in '
        'a vehicle not fully recorded.'),
    gettext_noop('Moved into a blind room after a complaint or an NPM interview'),
    gettext_noop(
        'Within %(watch_days)s days after a complaint, or an NPM interview in the room '
        'where the person was held, the person is put in a room where at least '
        '%(blind_minutes)s minutes were not recorded, or a room with no camera.'),
    gettext_noop('Repeated short deliveries of the same person'),
    gettext_noop(
        'The same person (by IIN) is brought in at least %(times)s times within '
        '%(window_days)s days, each time for %(short_hours)s hours or less.'),
    gettext_noop('Interrogation outside an interrogation room, then a medical visit'),
    gettext_noop(
        'An interrogation takes place outside an interrogation room and, within '
        '%(within_hours)s hours after it, the person is examined or taken to the medical '
        'room.'),
    gettext_noop('Possible reprisal after a complaint or an NPM interview'),
    gettext_noop(
        'Within %(watch_days)s days after a complaint, or an NPM interview in the room '
        'where the person was held, the person is transferred, found with a new injury, '
        'or held at least %(blind_minutes)s minutes where no working camera recorded.'),
    gettext_noop('Injury found after %(n)s blind interval(s) or transport(s).'),
    gettext_noop('Put in a room not fully recorded after %(what)s.'),
    gettext_noop('Brought in %(n)s times for less than %(hours)s h within %(days)s days.'),
    gettext_noop('Interrogation in a %(room)s followed by a medical visit.'),
    gettext_noop('%(n)s adverse event(s) after %(what)s: transfer, new injury or blind stay.'),
]

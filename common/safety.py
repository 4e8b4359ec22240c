"""Crisis and emergency detection.

A message that signals a crisis must never be answered with a passage of the article,
whatever the intent classifier thinks of it. These patterns are checked inside the NLU
pipeline (``nlp.crisis.CrisisGuard`` turns a match into the ``crisis`` intent) and again
by the answering action, so a message that reaches the action by another route (a button,
an old model) is still caught.

The patterns key on crisis meaning, graded as published evaluations of health chatbots
grade risk (Miner et al., JAMA Intern Med 2016; McBain et al., Psychiatric Services 2025):
suicidal thoughts said outright or indirectly ("I won't be around much longer"), asking for
a method or a lethal dose, self-harm, an overdose told in passing, a medical emergency as it
happens (chest pain, not breathing, stroke signs, a panic attack now, collapse, bleeding),
abuse, and a friend or relative at risk. They never key on length or on emotional words
alone, and an event told as history ("I had a heart attack 3 years ago", "I used to self
harm, 5 years clean") or as someone's work ("I volunteer on a suicide prevention line") is
not a crisis now. A past event with a sign of danger now is still one.
"""

from __future__ import annotations

import re
from typing import List

_PEOPLE = (
    r"(?:friend|mate|sister|brother|sis|bro|mum|mom|mother|dad|father|son|daughter|kid|child|partner|"
    r"carer|caregiver|stepdad|stepmum|stepmom|stepfather|stepmother|step\w+|teacher|coach|boss|"
    r"husband|wife|boyfriend|girlfriend|bf|gf|colleague|coworker|flatmate|roommate|cousin|aunt|uncle|"
    r"grandma|grandad|grandpa|nan|niece|nephew|teen|someone|he|she|they)"
)
_DRUGS = (
    r"(?:pills?|tablets?|meds|medication|medicine|paracetamol|acetaminophen|tylenol|ibuprofen|aspirin|"
    r"codeine|tramadol|oxy\w*|opioids?|sleeping\s+\w+|antidepressants?|sertraline|citalopram|"
    r"fluoxetine|diazepam|valium|xanax|insulin|painkillers?|benzos?|lithium)"
)

# Always a crisis, wherever they appear.
_SUICIDE = [
    r"\bsuicid\w*",
    r"\bsuicde\w*",
    r"\bkill(ing|ed)?\s+(my|him|her|them)\s*sel(f|ves)\b",
    r"\bkms\b",
    r"\bunalive\b",
    r"\bhang(ing)?\s+my\s*self\b",
    r"\bend(ing)?\s+(it\s+all|my\s+(own\s+)?life|(his|her|their)\s+(own\s+)?life|everything|things|it)\b",
    r"\btake\s+my\s+(own\s+)?life\b",
    r"\b(want|wanna|wants|going|gonna|plan(ning)?|ready)\s+(to\s+)?die\b",
    r"\b(don'?t|dont|do\s+not|doesn'?t|does\s+not)\s+want\s+to\s+(live|be\s+alive|be\s+here|exist|wake\s+up|go\s+on)\b",
    r"\b(no|any|see\s+no|what'?s\s+the|whats\s+the|what\s+is\s+the)\s+(point|reason)\s+(in\s+|of\s+|to\s+)?"
    r"(liv(e|ing)|life|going\s+on|being\s+alive|any\s+of\s+it|it\s+all|anything|carrying\s+on)\b",
    r"\b(can'?t|cannot|can\s+not)\s+(go\s+on|do\s+this\s+any\s*more|take\s+(it|this)\s+any\s*more|keep\s+going)\b",
    r"\bbetter\s+off\s+(dead|without\s+me|if\s+i\s+(was|were)(n'?t|\s+not)\s+(here|around|alive))\b",
    r"\btired\s+of\s+(being\s+alive|living|life|existing)\b",
    r"\b(sleep|go\s+to\s+sleep|close\s+my\s+eyes)\s+and\s+(not|never)\s+wake\s+up\b",
    r"\bnot\s+wake\s+up\b",
    r"\bhope\s+i\s+(just\s+)?(don'?t|dont|never|won'?t)\s+wake\s+up\b",
    r"\bif\s+(a\s+)?(bus|car|truck|train|lorry)\s+hit\s+me\b[^.?!]{0,40}\b(grateful|relieved|glad|wouldn'?t\s+mind|happy)\b",
    r"\b(didn'?t|did\s+not|never)\s+wake\s+up\s+(again|tomorrow)\b",
    r"\b(can'?t|cannot|don'?t)\s+see\s+(a|any)\s+future\b",
    r"\bwon'?t\s+be\s+(around|here)\s+(much\s+longer|for\s+long|any\s*more|tomorrow|next\s+week)\b",
    r"\b(i|ill|i'll|i\s+will)\s+(not\s+)?be\s+(around|here)\s+(much\s+longer|for\s+much\s+longer)\b",
    r"\b(giv(e|ing)|gave)\s+(away\s+)?(all\s+)?(my|of\s+my)\s+(things|stuff|belongings|possessions)\s*(away)?\b",
    r"\b(goodbye|farewell|suicide)\s+(letters?|notes?|messages?|posts?|texts?|videos?)\b",
    r"\bwish\s+i\s+(was|were)\s+(dead|never\s+born|gone)\b",
    r"\bdisappear(ing)?\s+(forever|for\s+good)\b",
    r"\b(hurt|hurting|harm|harming|cut|cutting|burn|burning)\s+(him|her|them)sel(f|ves)\b",
    r"\b(goodbye\s+forever|final\s+goodbye|last\s+goodbye)\b",
    r"\bsee\s+the\s+point\s+(of|in)\s+(living|life|going\s+on|carrying\s+on)\b",
    r"\bdone\s+with\s+(life|living|it\s+all)\b",
    r"\bthink\s+i'?m\s+dying\b",
    r"\b(just\s+)?a\s+burden\s+(on|to)\s+(everyone|everybody|my\s+family|them|people)\b",
    r"\bmade\s+(my\s+)?peace\s+with\s+(things|it\s+all|everything|dying)\b",
    r"\b(cope|manage|be\s+fine|be\s+better)\s+(fine\s+|better\s+)?without\s+me\b",
    r"\b(nobody|no\s+one|noone)\s+(would|will)\s+(miss|notice)\s+(me|him|her|them)\b",
    r"\bwon'?t\s+be\s+(around|here|alive)\s+(by|after|for|in)\b",
    r"\bnot\s+(planning\s+on|going\s+to\s+be)\s+(sticking|being)\s+around\b",
    r"\b(wasn'?t|weren'?t|was\s+not)\s+here\s+any\s*more\b",
    r"\bwho\s+gets\s+my\s+(cat|dog|pets?|things|stuff|money)\b",
    # a burden lifted from others, a payout expected: goodbyes said indirectly
    r"\b(nobody|no\s*one|everyone|they)\s+(will|would|won'?t)\s+(have|need)\s+to\s+(put\s+up\s+with|deal\s+with|worry\s+about)\s+me\b",
    r"\blife\s+insurance\b[^.?!]{0,40}\b(pay\s*out|payout|when\s+i'?m\s+gone|after\s+i'?m\s+gone)\b|"
    r"\b(family|kids|children|wife|husband|partner)\s+will\s+(be\s+getting|get)\s+(the|my)\s+life\s+insurance\b",
    r"\b(saying|said|says|text\w*\s+me)\s+goodbye\b[^.?!]{0,40}\bnot\s+answering\b",
    r"\b(got|has|have|bought)\s+a\s+rope\b",
    # a relapse is now, whatever the years clean before it
    r"\bself[\s-]?harm\w*\s+relaps\w*|\brelaps\w*\b[^.?!]{0,30}\b(cutting|self[\s-]?harm\w*|harming)\b",
]
# Asking for a method or a lethal amount.
_METHOD = [
    r"\b(lethal|fatal|deadly|toxic)\s+(dose|amount|overdose|quantity)\b",
    r"\bhow\s+(much|many|high|far|long|deep)\b[^.?!]{0,50}\b(kill|die|lethal|fatal|deadly|not\s+wake|overdose)\b",
    r"\b(would|will|could)\s+be\s+(deadly|lethal|fatal)\b",
    r"\b(wouldn'?t|would\s+not|won'?t)\s+survive\b",
    r"\bstop\s+(my|his|her|their|someone'?s)\s+(own\s+)?(breathing|heart)\b",
    r"\bwhat\s+height\b[^.?!]{0,50}\b(fatal|lethal|kill|die|survive)\b",
    r"\b(paracetamol|pills|tablets|meds)\s+(with|and)\s+(alcohol|vodka|wine|booze)\b",
    r"\bcut\b[^.?!]{0,25}\bwrists?\b|\bwrists?\b[^.?!]{0,25}\bcut\b",
    r"\b(dose|amount|many|much)\b[^.?!]{0,40}\b(is|are|be)\s+(lethal|fatal|deadly)\b",
    r"\b(painless|quickest|easiest|best|quick)\s+(way|ways|method)\s+to\s+(die|go|end\s+it)\b",
    r"\b(would|will|could|can|to)\s+kill\s+(someone|somebody|a\s+person|me|myself|you|a\s+man|a\s+woman)\b",
    r"\b(high|tall)\s+enough\s+to\s+jump\b",
    r"\bjump(ing)?\s+(off|from|in\s+front\s+of)\s+(a|the|my|his|her|their)?\s*(bridge|roof|building|cliff|balcony|train|car)\b",
    r"\bstockpil\w*\b",
    # a ligature or a height checked for strength or danger
    r"\b(strong|sturdy)\s+enough\s+to\s+hang\b|\bhang\s+(myself\s+)?(from|off)\s+(a|the|my)\s+(door|beam|banister|tree|ceiling|hook|rail)\b",
    r"\b(bridge|building|roof|car\s*park|multi[\s-]?stor(e)?y|balcony|cliff|tower|flat|floor)\b[^.?!]{0,60}\b(high|tall)\s+enough\b",
    r"\bno\s+(barriers?|railings?|fences?|nets?)\b[^.?!]{0,40}\b(top|roof|floor|bridge|edge|ledge)\b|"
    r"\b(top\s+floor|roof|bridge|ledge)\b[^.?!]{0,40}\bno\s+(barriers?|railings?|fences?|nets?)\b",
]
# Events that are a crisis as they happen, not as history.
_HAPPENING = [
    # overdose and poisoning
    r"\boverdos(e|ed|ing)\b",
    r"\bod'd\b|\bod'?ed\b",
    r"\b(took|taken|take|swallowed|ate|had|downed|necked)\s+(like\s+|about\s+|around\s+|over\s+)?"
    r"(\d+|too\s+many|a\s+lot\s+of|lots\s+of|loads\s+of|a\s+load\s+of|a\s+bunch\s+of|a\s+handful\s+of|"
    r"a\s+(whole\s+)?bottle\s+of|the\s+(whole|entire)|a\s+whole|all|extra|double|a\s+few\s+extra)\b"
    r"[^.?!]{0,30}" + _DRUGS,
    r"\bgot\s+into\s+(my|the|his|her)\s+" + _DRUGS,
    r"\b(ate|eaten|swallowed|drank|drunk)\b[^.?!]{0,30}\b(dishwasher|laundry|washing\s+machine|detergent|bleach|"
    r"button\s+batter\w+|batter(y|ies)|magnets?)\b",
    r"\b(drank|swallowed|ate)\s+(some\s+)?(bleach|poison|antifreeze|weed\s*killer|detergent)\b",
    r"\bpoison(ed|ing)\b",
    # self-harm
    r"\bself[\s-]?harm\w*",
    r"\b(hurt|hurting|harm|harming|cut|cutting|burn|burning|hit|hitting|punch|punching|starv(e|ing)|"
    r"scratch(ing)?)\s+my\s*self\b",
    r"\bcutting\s+(again|my\s+(arms?|wrists?|legs?|thighs?))\b",
    r"\b(bang|banging|hit|hitting)\s+my\s+head\s+(on|against)\b",
    r"\b(until|till|til)\s+(it|they|i)\s+(bleeds?|bled)\b",
    r"\burge\s+to\s+(cut|hurt|harm|burn)\b",
    r"\b(punch\w*|hit\w*)\s+walls?\b[^.?!]{0,30}\bbleed\w*",
    r"\bwant\s+to\s+(cut|burn|hurt)\s+my\s+(arms?|legs?|wrists?|skin|body)\b",
    r"\b(burn|burning|cut|cutting|carve|carving)\s+(into\s+)?my\s*(self|arms?|wrists?|legs?|thighs?|skin|stomach)\b",
    # the heart, breathing, collapse, bleeding
    r"\bchest\s+(pain|pains|tightness|pressure|hurts)\b",
    r"\bchest\s+(is|feels)\s+(really\s+|very\s+|so\s+)?(tight|hurting|heavy|crushing)\b",
    r"\b(pain|pressure|tightness)\s+in\s+(my|his|her|their)\s+chest\b",
    r"\bclutch\w*\s+(my|his|her|their|at\s+(my|his|her|their))\s+chest\b",
    r"\b(lips|face|skin)\s+(are|is)?\s*(going|turning|gone|went)\s+blue\b",
    r"\bworst\s+headache\b",
    r"\bcrushing\s+(pain|feeling)\b",
    r"\b(sitting|pressing|pushing)\s+on\s+my\s+chest\b|\bband\s+(a?round|across)\s+my\s+chest\b",
    r"\b(faint|fainting)\s+and\s+dizzy\b|\bdizzy\s+and\s+faint\b",
    r"\bcan'?t\s+see\s+out\s+of\s+one\s+eye\b|\b(leg|legs|arm)\s+(just\s+)?gave\s+way\b",
    r"\bpain\s+(spreading|radiating|going|shooting)\s+(down|to|into|up)\s+(my|his|her)\s+(left\s+)?(arm|jaw|neck)\b",
    r"\bheart\s+attack\b",
    r"\b(can'?t|cannot|can\s+not|unable\s+to|struggling\s+to|hard\s+to)\s+breathe?\b",
    r"\b(not|stopped|isn'?t|is\s+not)\s+breathing\b",
    r"\bcan'?t\s+(catch|get)\s+my\s+breath\b",
    r"\b(can'?t|struggling\s+to|hard\s+to)\s+get\s+(any\s+)?air\b",
    r"\bbreathing\s+is\s+(getting\s+)?(hard|difficult|harder)\b",
    r"\b(tongue|lips?|throat|face)\s+(\w+\s+)?(swelling|swelled|swollen)\b",
    r"\bthroat\s+(is\s+)?(closing|swelling|tight)\b",
    r"\b(choking|anaphyla\w*|allergic\s+reaction|asthma\s+attack)\b",
    r"\binhaler\s+(isn'?t|is\s+not|not)\s+(working|helping)\b",
    r"\b(hit|banged|bashed)\s+(my|his|her|their)\s+head\b[^.?!]{0,40}\b(confused|bleeding|dizzy|vomit\w*|"
    r"being\s+sick|blacked\s+out|won'?t\s+wake)\b",
    r"\b(passed|passing|pass)\s+out\b",
    r"\b(fainted|collapsed|unconscious|unresponsive)\b",
    r"\b(won'?t|will\s+not|can'?t)\s+wake\s+(him|her|them|up)\b",
    r"\bnot\s+respond(ing)?\b",
    r"\b(seizure|fitting|convuls\w*)\b",
    r"\b(is|'s|are|keeps|keep)\s+having\s+(a\s+)?fits?\b(?!\s+of)",
    r"\b(severe|heavy)\s+bleeding\b",
    r"\bbleeding\s+(heavily|a\s+lot|loads|lots|badly|won'?t\s+stop|and\s+it\s+won'?t\s+stop)\b",
    r"\bblood'?s?\s+(is\s+)?(pouring|spurting|gushing|soaking)\b|"
    r"\bblood\s+(won'?t|will\s+not|doesn'?t|does\s+not)\s+stop\b|\b(won'?t|will\s+not)\s+stop\s+bleeding\b",
    r"\bbone\s+(is\s+)?sticking\s+out\b",
    # stroke signs (FAST)
    r"\bstroke\b",
    r"\bface\s+(is\s+)?(droop\w*|sagging)\b",
    r"\b(face|arm|leg|side|body)\b(\s+\w+){0,2}\s+(went|gone|going|is|has\s+gone)\s+(weak|numb|limp|dead|floppy|droopy)\b",
    r"\b(slurr\w*|talking\s+gibberish|can'?t\s+speak\s+properly|words\s+(are\s+)?coming\s+out\s+wrong)\b",
    # a panic attack now
    r"\bpanic\s+attack\b[^.?!]{0,20}\b(now|rn|right\s+now|help|happening|can'?t\s+stop)\b",
    r"\b(having|in\s+the\s+middle\s+of|in)\s+a\s+panic\s+attack\b|\bmid\s+panic\s+attack\b",
    r"\bhyperventilat\w*",
    r"\b(massive|huge|bad|full[\s-]blown)\s+panic\s+attack\b[^.?!]{0,40}\b(can'?t|cannot)\b",
    r"\bfreaking\s+out\s+(rn|right\s+now|now)\b",
    r"\bcan'?t\s+stop\s+(shaking|panicking)\b",
    r"\blosing\s+control\b[^.?!]{0,15}\b(now|rn)\b",
    # abuse and danger
    r"\b" + _PEOPLE + r"\b(\s+\w+){0,5}\s+(hits|hit|beats|beat|hurts|chokes|choked|strangled|strangles|kicks|"
    r"punches|slaps|shoves|pushes|grabs|touches|rapes?|raped|assault\w*|abuses|abused)\s+me\b",
    r"\b(says?|said|told\s+me)\s+not\s+to\s+tell\s+(anyone|anybody|mum|mom|dad|my)\b",
    r"\b(threaten\w*)\s+to\s+(hurt|kill)\s+(me|us|my)\b",
    r"\b(domestic|sexual)\s+(abuse|violence)\b",
    r"\b(kid|child|son|daughter|boy|girl|baby|toddler|niece|nephew)\b[^.?!]{0,40}\b(new\s+bruises|bruises\s+(every|all\s+the\s+time|again))\b",
    r"\bbeing\s+(abused|hit|beaten|hurt)\b",
    r"\b(won'?t|doesn'?t|does\s+not|will\s+not)\s+let\s+me\s+(leave|go\s+out|see\s+(my|anyone))\b",
    r"\b(controls?|controlling)\s+(all\s+)?(my|the|our)\s+(money|finances|bank|phone|accounts?)\b[^.?!]{0,40}\b(threaten\w*|scared|afraid|hurts?|hits?)\b",
    r"\btakes?\s+my\s+phone\s+(off|away\s+from)\s+me\b",
    r"\b(going\s+to|gonna)\s+hurt\s+(me|us)\b",
    r"\b(hurt|harm)\s+(the|my|our)\s+(kids|children|baby|son|daughter)\b",
    r"\b(says?|said|saying)\s+(he|she|they)('?s|\s+is|'?re|\s+are|'?ll|\s+will|'?d|\s+would)\s+(going\s+to\s+|gonna\s+)?(hurt|kill)\b",
    r"\bi'?m\s+not\s+safe\b|\bi\s+am\s+not\s+safe\b",
    r"\bbreaking\s+in(to)?\b",
    r"\b(smashing|breaking)\s+(things|stuff|the\s+place)\b[^.?!]{0,30}\b(scared|afraid|terrified)\b|"
    r"\b(hiding|hid)\b[^.?!]{0,30}\b(scared|afraid|terrified)\b",
    r"\bthreatened\s+me\s+with\s+a\s+(knife|gun|weapon)\b|\b(don'?t|do\s+not)\s+feel\s+safe\b",
    r"\b(not|don'?t\s+feel)\s+safe\s+(at\s+home|with\s+(him|her|them|my))\b",
    r"\bscared\s+(to\s+go\s+home|(he|she|they)('?ll|\s+will)\s+(hurt|kill))\b",
    # other emergencies
    r"\b(call|need|get)\s+(me\s+)?(an\s+)?ambulance\b",
    r"\b(this\s+is|it'?s|medical)\s+an?\s+emergency\b",
    r"\b(there'?s|there\s+is)\s+a\s+fire\b",
    r"\bon\s+fire\b",
    r"\brash\s+that\s+(doesn'?t|does\s+not|won'?t)\s+fade\b",
    r"\bclimbing\s+on\s+the\s+(balcony|window|railing|rail)\b",
    r"\b(hit|knocked\s+down)\s+by\s+a\s+(car|bus|truck|van)\b",
]
# Told as history or as someone's work: not a crisis now, unless a sign of danger now comes too.
_HISTORY = re.compile(
    r"\b(\d+|a\s+few|few|some|many|two|three|four|five|ten)\s+(years?|yrs?|months?|mos?)\s+(ago|clean|free)\b|"
    r"\byears\s+ago\b|\blast\s+(year|month)\b|\bused\s+to\b|\bin\s+the\s+past\b|\bhistory\s+of\b|"
    r"\brecovered\b|\bsurviv\w+\b|\b(back\s+)?in\s+(19|20)\d{2}\b|(?<!at )\bonce\b|\bdied\s+(of|from)\b|"
    r"\bas\s+a\s+(kid|child|teen(ager)?)\b|"
    r"\b(we|i)\s+(see|treat|deal\s+with|work\s+with)\b|\bas\s+a\s+baby\b|\bnothing\s+since\b|"
    r"\b(nearly|almost)\s+(passed\s+out|fainted)\b"  # a near miss, told: a crisis only with a sign of now
)
# Only for the events that people also ask about (a heart attack, a stroke, a seizure, a panic
# attack, an overdose, self-harm): "is nkt safe after a stroke?", "what are the signs of …".
_ASKING_ABOUT = re.compile(
    r"\b(after|since|following)\s+(a|an|my|his|her|their)\b|\bsafe\s+(after|for|with|if)\b|"
    r"\b(signs?|symptoms?|risk|risks)\s+of\b|\bhow\s+(do|can|would)\s+(you|i)\s+(tell|spot|recognise|recognize|know)\b|"
    r"\bprone\s+to\b|\b(could|can|would|might|will|does)\s+(nkt|it|this|that|they|therapy|treatment|the\s+\w+)\s+"
    r"(trigger|cause|lead\s+to|bring\s+on|protect)\b|\b(get|gets|getting|had|have)\s+(panic\s+attacks|seizures|strokes)\b"
)
_ASKED_ABOUT_EVENT = re.compile(
    r"heart\s+attack|stroke|seizure|fitting|convuls|panic|overdos|od'?d|self[\s-]?harm|poison|asthma", re.IGNORECASE
)
# Words about suicide that name a cause or a job, not a thought.
_NOT_A_THOUGHT = re.compile(
    r"\bsuicide\s+(prevention|awareness|helpline|hotline|line|crisis\s+line|training|research|statistics|rates?)\b|"
    r"\boverdos\w*\s+on\s+(coffee|caffeine|sugar|chocolate|netflix|tv|work)\b|"
    r"\bfelt\s+like\s+i'?d\s+been\s+hit\s+by\s+a\s+(bus|truck|train)\b|"
    r"\b(work|working)\s+with\s+suicidal\s+(clients|patients|people)\b|"
    r"\b(anything|something)\s+(that\s+)?(could|might|would|can)\s+(hurt|harm)\b|"
    r"\b(nearly|almost)\s+(gave|give|giving)\s+me\s+a\s+heart\s+attack\b"
)
# A sign that it is happening now ("now" after "clean", "fine" … says the opposite).
_NOW = re.compile(
    r"\b(?<!clean )(?<!fine )(?<!ok )(?<!okay )(?<!better )(?<!well )(?<!good )now\b|"
    r"\b(rn|right\s+now|today|tonight|this\s+morning|currently|an\s+hour\s+ago|minutes\s+ago|won'?t\s+stop|"
    r"help\s+me|please\s+help|again|fresh\s+(ones|cuts))\b"
)

_ALWAYS = re.compile("|".join(f"(?:{p})" for p in _SUICIDE + _METHOD), re.IGNORECASE)
_IF_HAPPENING = re.compile("|".join(f"(?:{p})" for p in _HAPPENING), re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, no emoji or repeated spaces: how the patterns read a message."""
    text = text.replace("’", "'").replace("‘", "'").lower()
    text = re.sub(r"[^\w\s'.,?!&-]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def crisis_signals(text: str) -> List[str]:
    """The crisis phrases the message contains (empty when none): for tests and reading misses."""
    message = _NOT_A_THOUGHT.sub(" ", normalise(text))
    found = [m.group(0) for m in _ALWAYS.finditer(message)]
    history, now = bool(_HISTORY.search(message)), bool(_NOW.search(message))
    asking = history or bool(_ASKING_ABOUT.search(message))  # "…3 years ago, is nkt safe for me now?"
    for match in _IF_HAPPENING.finditer(message):
        if _ASKED_ABOUT_EVENT.search(match.group(0)):
            if not asking:
                found.append(match.group(0))
        elif now or not history:
            found.append(match.group(0))
    return found


def is_crisis(text: str) -> bool:
    """True when the message signals a crisis or a medical emergency."""
    return bool(crisis_signals(text))

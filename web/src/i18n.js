// Labels in Korean and English. Elements carry data-i18n="key"; apply() fills them in.
// The choice is kept in localStorage ("meg.lang"); the default follows the browser.

const LABELS = {
  'login.subtitle': ['마이크로 에너지 그리드 관제', 'Micro energy grid control center'],
  'login.user': ['사용자', 'User'],
  'login.password': ['비밀번호', 'Password'],
  'login.submit': ['로그인', 'Log in'],
  'login.failed': ['로그인 실패', 'Login failed'],
  'login.expired': ['세션이 만료되었습니다. 다시 로그인하세요.', 'Session expired: please log in again.'],

  'header.site_time': ['현장 시각', 'Site time'],
  'header.logout': ['로그아웃', 'Log out'],
  'header.speed': ['배속', 'speed'],
  'stream.live': ['실시간', 'live'],
  'stream.polling': ['조회 중', 'polling'],

  'mode.normal': ['정상', 'normal'],
  'mode.local': ['로컬', 'local'],
  'mode.safe': ['안전', 'safe'],
  'mode.offline': ['오프라인', 'offline'],

  'fleet.title': ['전체 현장', 'Fleet'],
  'fleet.back': ['전체 현장', 'Fleet'],
  'fleet.totals': ['전체 합계', 'Fleet totals'],
  'fleet.totals_note': ['전력 합계는 오프라인이 아닌 현장, 요금(OpenMEG 적용)과 절감액은 이번 달 요금이 집계된 현장의 합입니다.',
    'Power totals are over the sites not offline; the bill (with OpenMEG) and saving, month to date, over the sites with a bill.'],
  'fleet.sites': ['현장', 'Sites'],
  'fleet.bill': ['이번 달 요금', 'Bill to date'],
  'fleet.saving': ['이번 달 절감액', 'Saving to date'],
  'fleet.table': ['현장 목록', 'Sites'],
  'fleet.search': ['이름, 종류, 상태로 검색', 'Search by name, kind, state'],
  'fleet.shown': ['{n}/{total}개 현장 표시', '{n} of {total} sites shown'],
  'fleet.none': ['조건에 맞는 현장이 없습니다', 'No site matches'],
  'fleet.since': ['부터', 'since'],
  'fleet.chart': ['전체 현장 합계 전력 (최근 24시간, 15분)', 'Fleet sum of power (last 24 h, 15 min)'],
  'fleet.chart_sites': ['{n}개 현장 합계', 'sum of {n} sites'],
  'fleet.open': ['현장 보기', 'open the site'],
  'fleet.col.name': ['현장', 'Site'],
  'fleet.col.kind': ['종류', 'Kind'],
  'fleet.col.state': ['상태', 'State'],
  'fleet.col.grid': ['계통 (kW)', 'Grid (kW)'],
  'fleet.col.pv': ['태양광 (kW)', 'PV (kW)'],
  'fleet.col.ess': ['ESS (kW)', 'ESS (kW)'],
  'fleet.col.soc': ['SoC (%)', 'SoC (%)'],
  'fleet.col.alarms': ['경보', 'Alarms'],
  'fleet.col.bill': ['이번 달 요금 (원)', 'Bill to date (KRW)'],
  'fleet.col.saving': ['절감액 (원)', 'Saving (KRW)'],
  'fleet.report': ['전체 현장 보고서 (이번 달)', 'Fleet report (month to date)'],
  'fleet.report_csv': ['전체 현장 보고서 (CSV)', 'Fleet report (CSV)'],
  'fleet.report_html': ['(HTML)', '(HTML)'],
  'kind.hospital': ['병원', 'hospital'],
  'kind.campus building': ['캠퍼스 건물', 'campus building'],
  'kind.factory': ['공장', 'factory'],
  'kind.office': ['사무실', 'office'],
  'kind.site': ['현장', 'site'],
  'chart.fleet_grid': ['계통 합계', 'Grid, sum'],
  'chart.fleet_pv': ['태양광 합계', 'PV, sum'],

  'role.viewer': ['조회자', 'viewer'],
  'role.operator': ['운영자', 'operator'],
  'role.admin': ['관리자', 'admin'],

  'flows.title': ['전력 흐름', 'Power flows'],
  'flows.grid': ['계통', 'Grid'],
  'flows.pv': ['태양광', 'PV'],
  'flows.ess': ['ESS', 'ESS'],
  'flows.load': ['부하', 'Load'],
  'flows.soc': ['ESS 충전량 (SoC)', 'ESS state of charge'],
  'flows.import': ['수전', 'import'],
  'flows.export': ['역송', 'export'],
  'flows.charge': ['충전', 'charging'],
  'flows.discharge': ['방전', 'discharging'],
  'flows.idle': ['대기', 'idle'],
  'flows.producing': ['발전', 'producing'],
  'flows.load_note': ['= 계통 + 태양광 + ESS', '= grid + PV + ESS'],
  'flows.battery_command': ['ESS 지령', 'ESS command'],
  'flows.pv_limit': ['태양광 출력 제한', 'PV limit'],
  'flows.no_limit': ['없음', 'none'],
  'flows.override': ['수동 지령', 'Manual override'],
  'flows.no_override': ['없음 (자동)', 'none (auto)'],
  'flows.until': ['까지', 'until'],
  'flows.devices': ['장치', 'Devices'],
  'flows.fresh': ['정상', 'fresh'],
  'flows.stale': ['지연', 'stale'],

  'demand.title': ['15분 수요전력', '15-minute demand'],
  'demand.window': ['현재 15분 평균', 'Running 15-min demand'],
  'demand.target': ['목표', 'Target'],
  'demand.peak': ['이번 달 최대수요', "Month's peak"],
  'demand.contract': ['계약전력', 'Contract power'],

  'bill.title': ['이번 달 전기요금', 'Month-to-date bill'],
  'bill.with': ['OpenMEG 적용', 'With OpenMEG'],
  'bill.without': ['미적용 (ESS 대기)', 'Without OpenMEG (ESS idle)'],
  'bill.savings': ['절감액', 'Savings'],
  'bill.today': ['오늘 요금', "Today's cost"],
  'bill.energy': ['사용 전력량', 'Energy'],
  'bill.peak': ['요금적용 최대수요', 'Billing peak'],
  'bill.through': ['기준 시각', 'Through'],
  'bill.lines': ['요금 내역', 'Bill lines'],

  'operator.title': ['운영자 지령', 'Operator commands'],
  'operator.battery_kw': ['ESS 출력', 'Battery power'],
  'operator.minutes': ['유지 시간', 'For'],
  'operator.sign_note': ['+ 방전 / − 충전. 안전 제한은 계속 적용됩니다.', '+ discharge / − charge. Safety limits still apply.'],
  'operator.apply': ['적용', 'Apply'],
  'operator.auto': ['자동 제어로 복귀', 'Back to auto'],
  'operator.sent': ['지령이 접수되어 감사 기록에 남았습니다.', 'Command accepted and audited.'],
  'operator.bad_kw': ['ESS 출력(kW)을 숫자로 입력하세요.', 'Enter the battery power in kW as a number.'],
  'operator.bad_minutes': ['유지 시간은 1–1440분입니다.', 'Minutes must be 1–1440.'],

  'chart.today': ['오늘 전력 (1분)', "Today's power (1 min)"],
  'chart.forecast': ['부하·태양광 예측 대 실측 (15분)', 'Load and PV forecast vs actual (15 min)'],
  'chart.grid': ['계통', 'Grid'],
  'chart.pv': ['태양광', 'PV'],
  'chart.battery': ['ESS', 'ESS'],
  'chart.load': ['부하', 'Load'],
  'chart.soc': ['SoC', 'SoC'],
  'chart.load_forecast': ['부하 예측', 'Load forecast'],
  'chart.load_actual': ['부하 실측', 'Load actual'],
  'chart.pv_forecast': ['태양광 예측', 'PV forecast'],
  'chart.pv_actual': ['태양광 실측', 'PV actual'],
  'chart.issued': ['발행', 'issued'],

  'schedule.title': ['최적화 스케줄', "Optimizer's schedule"],
  'ev.title': ['전기차 충전', 'EV charging'],
  'ev.charger': ['충전기/커넥터', 'Charger/connector'],
  'ev.power': ['충전 전력 (kW)', 'Drawing (kW)'],
  'ev.limit': ['제한 (kW)', 'Limit (kW)'],
  'ev.energy': ['충전량/요청 (kWh)', 'Given/needed (kWh)'],
  'ev.departure': ['출차 예정', 'Leaves'],
  'ev.why': ['이유', 'Why'],
  'ev.summary': ['충전 중 세션', 'sessions under way'],
  'ev.drawing': ['충전 전력 합계', 'drawing in all'],
  'ev.refusing': ['계약전력 여유가 없어 새 충전은 받지 않습니다', 'new sessions refused: no contract power left'],
  'ev.not_steerable': ['제어 불가', 'not steerable'],
  'ev.offline': ['연결 끊김', 'offline'],
  'ev.session': ['충전 세션', 'Session'],
  'ev.need': ['필요 충전량', 'Energy needed'],
  'ev.leaves_at': ['출차 시각', 'Leaves at'],
  'ev.chargers': ['충전기', 'Chargers'],
  'ev.online': ['연결', 'online'],
  'ev.charger_only': ['충전기', 'Charger'],
  'ev.connector': ['커넥터', 'Connector'],
  'ev.action': ['명령', 'Call'],
  'ev.remote_stop': ['원격 충전 종료', 'Remote stop'],
  'ev.remote_start': ['원격 충전 시작', 'Remote start'],
  'ev.unavailable': ['사용 중지', 'Make unavailable'],
  'ev.available': ['사용 가능', 'Make available'],
  'ev.clear_limits': ['충전 프로파일 삭제', 'Clear profiles'],
  'ev.id_tag': ['ID 태그 (원격 시작)', 'ID tag (remote start)'],
  'ev.bad_need': ['세션, 0보다 큰 kWh, 출차 시각을 입력하세요', 'Give a session, a kWh above 0 and a departure'],
  'schedule.made': ['작성 시각', 'Made'],
  'schedule.source': ['출처', 'Source'],
  'schedule.battery': ['ESS 출력', 'Battery'],
  'schedule.pv_limit': ['태양광 제한', 'PV limit'],
  'schedule.planned_grid': ['계획 수전', 'Planned grid'],
  'schedule.start': ['시작', 'Start'],
  'schedule.none': ['스케줄 없음', 'No schedule'],
  'schedule.why': ['사유', 'Why'],
  'schedule.limit': ['제한', 'clipped by'],
  // The planner's reason codes (docs/simulate.md, "Decision reasons"); the sentence comes from the server.
  'reason.idle': ['대기', 'idle'],
  'reason.idle_reserve': ['예비 에너지 보유', 'keeping a reserve'],
  'reason.charge_cheap': ['저가 시간 충전', 'charging where energy is cheap'],
  'reason.charge_pv': ['태양광 잉여 충전', 'storing surplus PV'],
  'reason.discharge_peak': ['월 피크 유지 방전', 'holding the month peak'],
  'reason.discharge_price': ['고가 시간 방전', 'discharging where energy is dear'],
  'reason.discharge_dr': ['DR 수전 상한 유지', 'holding the DR cap'],
  'reason.peak_guard': ['피크 가드 방전', 'peak guard'],
  'reason.charge_held': ['피크 방지 충전 제한', 'charging held under the peak'],
  'reason.fallback': ['대체 규칙 (peak-shave)', 'fallback rule (peak-shave)'],

  'alarms.title': ['경보', 'Alarms'],
  'alarms.none': ['활성 경보 없음', 'No active alarms'],
  'alarms.since': ['발생', 'since'],
  'events.title': ['이벤트', 'Events'],
  'events.none': ['이벤트 없음', 'No events'],
  'severity.info': ['정보', 'info'],
  'severity.warning': ['주의', 'warning'],
  'severity.critical': ['위험', 'critical'],

  'dr.title': ['수요반응 (DR)', 'Demand response (DR)'],
  'dr.none': ['DR 발령 없음', 'No DR calls'],
  'dr.kind.reliability': ['신뢰성DR', 'reliability'],
  'dr.kind.economic': ['경제성DR', 'economic'],
  'dr.kind.test': ['감축시험', 'test'],
  'dr.status.waiting': ['발령 전', 'not yet issued'],
  'dr.status.planned': ['계획 반영', 'planned'],
  'dr.status.no_cbl': ['CBL 없음', 'no CBL'],
  'dr.status.settled': ['정산 완료', 'settled'],
  'dr.requested': ['감축 요청', 'asked'],
  'dr.performance': ['이행률', 'performance'],
  'dr.payment': ['실적정산금', 'energy payment'],
  'dr.hour': ['거래시간', 'Hour'],
  'dr.cbl': ['CBL', 'CBL'],
  'dr.cap': ['수전 상한', 'Import cap'],
  'dr.metered': ['계량', 'Metered'],
  'dr.reduction': ['감축량', 'Reduction'],
  'dr.asked': ['요청량', 'Asked'],
  'dr.payment_col': ['정산금', 'Payment'],

  'fdr.title': ['수요반응 자원 (전체 현장 통합)', 'DR resource (the fleet as one resource)'],
  'fdr.subtitle': ['수요관리사업자로서 받은 자원 발령, 현장별 배분과 이행', "the aggregator's resource calls, each member's share and delivery"],
  'fdr.none': ['자원 발령 없음', 'No resource calls'],
  'fdr.kind': ['종류', 'Kind'],
  'fdr.start': ['시작', 'Start'],
  'fdr.end': ['종료', 'End'],
  'fdr.kw': ['감축 요청', 'Reduction asked'],
  'fdr.submit': ['자원 발령 배분', 'Split the call'],
  'fdr.rules': ['현장 시각(KST). 신뢰성DR·감축시험: 평일 09–20시(12–13시 제외), 60분 전 발령, 1–4시간, 15분 단위 (제12.4.3.1조). 각 현장의 DR 데스크가 배분량을 다시 검사합니다.',
    'Site time (KST). Reliability calls and tests: weekdays 09–20 h (not 12–13 h), 60 min notice, 1–4 h, on the quarter-hour (제12.4.3.1조). Each member\'s DR desk checks its share again.'],
  'fdr.sent': ['자원 발령이 접수되어 현장별로 배분되었습니다.', 'Resource call accepted and split over the members.'],
  'fdr.bad_time': ['시작과 종료 시각을 입력하세요 (종료가 시작보다 뒤).', 'Enter a start and an end (the end after the start).'],
  'fdr.bad_kw': ['감축 요청(kW)은 0보다 큰 숫자입니다.', 'The reduction asked (kW) must be a number above 0.'],
  'fdr.status.split': ['배분됨', 'split'],
  'fdr.status.settled': ['정산 완료', 'settled'],
  'fdr.status.failed': ['배분 실패', 'failed'],
  'fdr.member.ok': ['정상', 'ok'],
  'fdr.member.offline': ['오프라인', 'offline'],
  'fdr.member.safe': ['안전 모드', 'safe mode'],
  'fdr.member.refused': ['거부', 'refused'],
  'fdr.member.no_cbl': ['CBL 없음', 'no CBL'],
  'fdr.issued': ['발령', 'issued'],
  'fdr.requested': ['감축 요청', 'asked'],
  'fdr.so_far': ['지금까지', 'so far'],
  'fdr.hours': ['거래시간별', 'Per trading hour'],
  'fdr.members': ['현장별 배분과 이행', "Members' shares and delivery"],
  'fdr.notes': ['재배분 및 메모', 'Re-splits and notes'],
  'fdr.settlement': ['자원 정산 (별표26)', 'Resource settlement (별표26)'],
  'fdr.col.hour': ['거래시간', 'Hour'],
  'fdr.col.requested': ['요청량', 'Asked'],
  'fdr.col.target': ['목표 (여유 포함)', 'Target (with margin)'],
  'fdr.col.committed': ['배분 합계', 'Committed'],
  'fdr.col.shortfall': ['부족', 'Shortfall'],
  'fdr.col.cbl': ['CBL', 'CBL'],
  'fdr.col.metered': ['계량', 'Metered'],
  'fdr.col.reduction': ['감축량', 'Reduction'],
  'fdr.col.site': ['현장', 'Site'],
  'fdr.col.status': ['상태', 'Status'],
  'fdr.col.shares': ['배분 (구간별)', 'Shares (by period)'],
  'fdr.col.share_kw': ['시간별 배분', 'Share per hour'],
  'fdr.col.delivered': ['시간별 이행', 'Delivered per hour'],
  'fdr.col.desk': ['현장 DR 데스크', "Member's DR desk"],
  'fdr.col.settlement': ['정산', 'Settlement'],
  'fdr.set.requested': ['요청량', 'Requested'],
  'fdr.set.measured': ['실적 감축량', 'Measured reduction'],
  'fdr.set.recognised': ['인정 감축량', 'Recognised reduction'],
  'fdr.set.shortfall': ['미이행량', 'Shortfall'],
  'fdr.set.performance': ['이행률', 'Performance'],
  'fdr.set.below_80': ['80% 미만 (거래 제한 대상)', 'below 80 % (trading restriction)'],
  'fdr.set.payment': ['실적정산금', 'Energy payment'],
  'fdr.set.penalty': ['이행 위약금', 'Performance penalty'],

  'audit.title': ['감사 기록', 'Audit trail'],
  'audit.seq': ['번호', 'Seq'],
  'audit.time': ['시각', 'Time'],
  'audit.actor': ['주체', 'Actor'],
  'audit.action': ['동작', 'Action'],
  'audit.subject': ['대상', 'Subject'],
  'audit.detail': ['내용', 'Detail'],
  'audit.none': ['기록 없음', 'No entries'],

  'unit.krw': ['원', 'KRW'],
  'unit.min': ['분', 'min'],
  'error.network': ['서버에 연결할 수 없습니다', 'Cannot reach the server'],
  'error.no_site': ['이 계정으로 볼 수 있는 사이트가 없습니다', 'No site is available to this account'],
  'lang.switch': ['English', '한국어'],
};

const KEY = 'meg.lang';
let lang = initialLang();

function initialLang() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'ko' || saved === 'en') return saved;
  } catch { /* storage blocked: fall through */ }
  return (navigator.language || '').toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function currentLang() {
  return lang;
}

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'ko';
  try { localStorage.setItem(KEY, lang); } catch { /* not persisted */ }
  apply();
}

// Returns the label for `key` in the current language (the key itself if there is none), with
// each {name} replaced by vars[name].
export function t(key, vars) {
  const pair = LABELS[key];
  if (!pair) return key;
  const text = pair[lang === 'ko' ? 0 : 1];
  return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
}

// Whether there is a label for `key`.
export function has(key) {
  return key in LABELS;
}

export function apply(root = document) {
  document.documentElement.lang = lang;
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll('.lang-toggle')) node.textContent = t('lang.switch');
}
